"""The site's own date formats per language (FORMAT_MODULE_PATH); languages not here use Django's."""
