"""English phrase banks, one block per theme.

Each item is composed from several banks (see `voc.demo.text`), so no
sentence is shared by many items. `{slot}` fields are filled per item by
`voc.demo.slots.Slots` (devices, amounts, days waited, order numbers,
app versions...). Keys:

- subject: ticket subject lines      - title: app review titles
- core: the complaint or praise, many paraphrases
- detail: sentences that elaborate    - consequence: what it caused
- ask: what the customer wants        - short: fragments for short reviews and survey answers
"""

from __future__ import annotations

from voc.demo.banks.app import APP
from voc.demo.banks.billing import BILLING
from voc.demo.banks.orders import ORDERS
from voc.demo.banks.service import SERVICE
from voc.demo.banks.types import Bank

# One module per area of the journey, each a few hundred lines of phrases; looked up by theme key.
BANKS: dict[str, Bank] = {**ORDERS, **APP, **BILLING, **SERVICE}

__all__ = ["BANKS", "Bank"]
