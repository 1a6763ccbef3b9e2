"""E-mail over SMTP: the one mail module of the platform (stdlib smtplib and email.message).

Settings (environment): SMTP_HOST (unset: nothing is e-mailed, and nothing breaks),
SMTP_PORT (587 with SMTP_STARTTLS, else 25), SMTP_USERNAME and SMTP_PASSWORD (log in
when both are set), SMTP_STARTTLS (false), MAIL_FROM ("Campus Services Hub
<no-reply@localhost>"), SMTP_TIMEOUT_SECONDS (10); links in e-mails lead to
PUBLIC_GATEWAY_URL (where browsers reach the gateway; default its own address).

`compose` builds a message with a plain-text part, an optional HTML alternative and any
attachments; `send` delivers it, raising MailError on any failure so the caller's queue
can retry it. Nothing here queues or retries: the notification service's delivery does
(notification_service/delivery.py).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Iterable

from shared.config import Settings

DEFAULT_FROM = "Campus Services Hub <no-reply@localhost>"


class MailError(Exception):
    """The message was not accepted (server unreachable, refused, timed out)."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str
    timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> "MailSettings | None":
        """None when SMTP_HOST is not set: e-mail is off."""
        env = settings.env
        host = (env.str("SMTP_HOST") or "").strip()
        if not host:
            return None
        starttls = env.bool("SMTP_STARTTLS", False)
        return cls(host=host, port=env.int("SMTP_PORT", 587 if starttls else 25, minimum=1, maximum=65535),
                   username=env.str("SMTP_USERNAME") or None, password=env.str("SMTP_PASSWORD") or None,
                   starttls=starttls, sender=env.str("MAIL_FROM") or DEFAULT_FROM,
                   timeout=env.float("SMTP_TIMEOUT_SECONDS", 10.0, minimum=0.1))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str | bytes
    mimetype: str = "application/octet-stream"     # "text/calendar" ...
    params: tuple[tuple[str, str], ...] = ()       # extra Content-Type parameters, e.g. (("method", "PUBLISH"),)


def public_url(settings: Settings) -> str:
    """Where a person's browser reaches the platform (PUBLIC_GATEWAY_URL), for links in e-mails."""
    return (settings.env.str("PUBLIC_GATEWAY_URL") or settings.service_url("gateway")).rstrip("/")


def compose(mail: MailSettings, to: str, subject: str, text: str, html: str | None = None,
            attachments: Iterable[Attachment] = (), message_id: str | None = None,
            headers: dict[str, str] | None = None) -> EmailMessage:
    """A message: text, then the HTML alternative, then attachments (multipart/mixed).
    message_id: a stable id lets a mail system drop a copy sent again after a crash."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain=_domain(mail.sender))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.mimetype.partition("/")
        if isinstance(item.content, str):
            message.add_attachment(item.content, subtype=subtype, filename=item.filename,
                                   params=dict(item.params))
        else:
            message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename,
                                   params=dict(item.params))
    return message


def message_id(key: str, mail: MailSettings) -> str:
    """A Message-ID made from a stable key (notification and recipient...)."""
    safe = "".join(ch if ch.isalnum() or ch in ".-" else "." for ch in key)
    return f"<{safe}@{_domain(mail.sender)}>"


def _domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] or "localhost"


def send(mail: MailSettings, message: EmailMessage) -> None:
    """Deliver one message; MailError when the server cannot be reached or refuses it."""
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout) as smtp:
            smtp.ehlo()
            if mail.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if mail.username and mail.password:
                smtp.login(mail.username, mail.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{exc.__class__.__name__}: {str(exc)[:300]}") from exc
