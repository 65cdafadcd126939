# English dates as the site has always written them ("4 Mar 2026, 05:06"): day first, 24-hour
# clock, no "a.m.". German and French use Django's own formats ("4. März 2026 05:06", "4 mars 2026 05:06").
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
