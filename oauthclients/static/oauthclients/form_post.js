// OAuth 2.0 Form Post Response Mode: send the response on to the client at once. A file of its
// own, not an inline script, so the page works under a strict Content-Security-Policy.
document.getElementById("form-post-response").submit();
