// GOV.UK Frontend's progressive enhancement classes, set before the page is drawn. A file
// rather than an inline script, so that the Content Security Policy allows scripts from this
// site only.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
