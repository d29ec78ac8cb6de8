"""Alerts on new, rising or heavily negative themes: rules (pure) and delivery (webhook, e-mail, outbox)."""
