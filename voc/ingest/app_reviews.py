"""App store reviews: Apple App Store Connect and Google Play Console exports.

`app_store` reads the App Store Connect ratings-and-reviews CSV:
`Review ID, Date, Rating, Title, Review, User Name, App Version, Country`.

`google_play` reads the Play Console reviews CSV (Download reports >
Reviews), which Google writes in UTF-16: `Package Name, App Version Code,
App Version Name, Reviewer Language, Device, Review Submit Date and Time,
Review Submit Millis Since Epoch, Review Last Update Date and Time, Review
Last Update Millis Since Epoch, Star Rating, Review Title, Review Text,
Developer Reply Date and Time, Developer Reply Millis Since Epoch, Developer
Reply Text, Review Link`. It has no review id, so records get a content-hash
id; the package name becomes `product`.

Both are star reviews (1-5), kind `review`, channel `app_store` / `google_play`.
"""

from __future__ import annotations

from pathlib import Path

from voc.config import SourceConfig
from voc.ingest.files import RowStream, read_csv
from voc.ingest.filesource import FileFormat
from voc.ingest.mapping import Profile
from voc.schema import Kind, RatingScale

APP_STORE_FIELDS: dict[str, list[str]] = {
    "id": ["Review ID"],
    "created_at": ["Date"],
    "rating": ["Rating"],
    "title": ["Title"],
    "text": ["Review"],
}

GOOGLE_PLAY_FIELDS: dict[str, list[str]] = {
    "created_at": ["Review Submit Date and Time", "Review Submit Millis Since Epoch"],
    "updated_at": ["Review Last Update Date and Time", "Review Last Update Millis Since Epoch"],
    "rating": ["Star Rating"],
    "title": ["Review Title"],
    "text": ["Review Text"],
    "language": ["Reviewer Language"],
    "url": ["Review Link"],
    "product": ["Package Name"],
}


def _open(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(path, encoding=source.encoding, delimiter=source.delimiter)


def _profile(fields: dict[str, list[str]], channel: str, *, has_ids: bool):
    def build(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
        profile = Profile(
            source=source.name,
            kind=source.kind or Kind.review,
            fields={k: list(v) for k, v in fields.items()},
            channel=channel,
            rating_scale=source.rating_scale or RatingScale.stars,
            use_external_id=has_ids or source.columns.id is not None,
            url_template=source.url_template,
            date_format=source.date_format,
        ).override(source.columns)
        if stream.columns is not None:
            profile.bind(stream.columns, shown, source.columns)
        return profile

    return build


APP_STORE = FileFormat("app_store", _open, _profile(APP_STORE_FIELDS, "app_store", has_ids=True))
GOOGLE_PLAY = FileFormat("google_play", _open, _profile(GOOGLE_PLAY_FIELDS, "google_play", has_ids=False))
