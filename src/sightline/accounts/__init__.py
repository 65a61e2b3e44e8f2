"""Signing in safely: multi-factor authentication, lockout, session timeouts.

See docs/security-authentication.md.
"""
