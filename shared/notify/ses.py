"""Email through Amazon SES (`SendEmail`) from one verified identity.

SES exists in the global regions only; a deployment in the China regions sends email through
SMTP instead. The identity's ARN is passed as `SourceArn`, so the function's role needs
`ses:SendEmail` on that one identity and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.notify.email import from_header
from shared.notify.outcome import logged
from shared.notify.port import Channel, Message, Recipient, SendFailed

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

# Worth trying again later: SES is throttling us or briefly unavailable.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "RequestTimeout",
    }
)
CHARSET = "UTF-8"


class SesNotifier:
    """Sends `Message`s through SES on behalf of one identity."""

    channel: Channel = "email"

    def __init__(
        self, client: SESClient, *, sender: str, sender_name: str = "", identity_arn: str | None
    ) -> None:
        self._client = client
        self.sender = sender
        self.sender_name = sender_name
        self.identity_arn = identity_arn

    def send(self, recipient: Recipient, message: Message) -> None:
        """Deliver one message; SendFailed(`SES_<error code>`), retryable when SES throttles
        or is unavailable, not when it rejects the message (`SES_MessageRejected`)."""
        from botocore.exceptions import BotoCoreError, ClientError

        body: dict[str, Any] = {"Text": {"Data": message.text, "Charset": CHARSET}}
        if message.html is not None:
            body["Html"] = {"Data": message.html, "Charset": CHARSET}
        request: dict[str, Any] = {
            "Source": from_header(self.sender, self.sender_name),
            "Destination": {"ToAddresses": [recipient.address]},
            "Message": {"Subject": {"Data": message.subject, "Charset": CHARSET}, "Body": body},
        }
        if self.identity_arn:
            request["SourceArn"] = self.identity_arn
        with logged(self.channel, recipient.user_id):
            try:
                self._client.send_email(**request)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                retryable = code in RETRYABLE_CODES or status >= 500
                raise SendFailed(f"SES_{code}", retryable=retryable) from exc
            except BotoCoreError as exc:  # the endpoint unreachable, a timeout
                raise SendFailed(
                    "SES_CONNECTION", retryable=True, detail=type(exc).__name__
                ) from exc
