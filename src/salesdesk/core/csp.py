"""The Content-Security-Policy header on every response.

Django 5.2 has no CSP support of its own, so this small middleware sets it. Scripts come
only from our own origin (htmx and static/salesdesk/app.js, served by the app): no inline
script, no `on...=` handler, no eval, so text a user typed can never run as a script even
if a template forgot to escape it.

Styles allow 'unsafe-inline': the templates set widths of progress bars in `style=`
attributes and htmx adds its indicator style; a style cannot run code. Images allow
`data:` URIs, which the API docs (ninja's Swagger UI) draw their icons with; the docs need
nothing more, since their scripts are files and their settings a JSON block, so the one
policy serves every path (tests/browser/test_csp.py loads the docs under it).
"""

from django.conf import settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        # A view that needs another policy sets its own header (none does today).
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
