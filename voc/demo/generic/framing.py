"""How a message is framed: greetings, intros, escalation, closers, links between themes, review openers, intensifiers, tails, emojis and typos. See `voc.demo.generic`."""

from __future__ import annotations

GREETINGS: tuple[str, ...] = (
    "Hi,",
    "Hello,",
    "Hi team,",
    "Hello Northwind team,",
    "Dear Support,",
    "Dear Northwind Support,",
    "Hi there,",
    "hey",
    "Hey guys,",
    "Good morning,",
    "Good afternoon,",
    "To whom it may concern,",
    "Hi support,",
    "Hello again,",
    "Hi all,",
    "Morning,",
    "Hi {agent},",
    "Dear {agent},",
    "Hello {agent},",
)

INTROS: tuple[str, ...] = (
    "I'm writing about order {order}.",
    "We've been Northwind customers for {years} years.",
    "I'm the facilities manager at {company} and look after our Northwind account.",
    "This is about our account {account}.",
    "Following up on my call from {weekday}.",
    "I'm contacting you on behalf of {company}.",
    "Quick question about my account.",
    "I hope you can help.",
    "Sorry to bother you again.",
    "I need some help please.",
    "Long-time user here.",
    "First time contacting support.",
    "Our IT team asked me to raise this.",
    "Writing in for my mother, who owns the device.",
)

# Case history that business customers add when they escalate (kept in order).
ESCALATION: tuple[str, ...] = (
    "For context, we first reported this on {date} (ticket #{ticket}).",
    "We were told on {weekday} that engineering was looking into it, and have heard nothing since.",
    "Our account manager has been copied on this thread.",
    "This now affects {n_users} users across several of our sites.",
    "Our operations director has asked me for a written update by the end of the week.",
    "We are reviewing our renewal in the coming weeks and this will be part of that discussion.",
    "Frankly, for a contract of our size we expected a faster response.",
    "Please treat this as a priority escalation.",
    "I'd appreciate a call with someone senior on your side.",
)

CLOSERS: tuple[str, ...] = (
    "Thanks,",
    "Thanks in advance,",
    "Thank you,",
    "Many thanks,",
    "Best regards,",
    "Kind regards,",
    "Regards,",
    "Cheers,",
    "Best,",
    "Thanks for your help,",
    "Looking forward to your reply,",
    "Thank you for your time,",
    "Warm regards,",
    "Appreciate it,",
    "Thx",
    "ty",
    "Sincerely,",
    "All the best,",
    "Speak soon,",
)

# Joining a second theme onto the first: by whether the polarity flips.
LINK_SAME: tuple[str, ...] = (
    "Also, ",
    "On top of that, ",
    "And ",
    "Plus ",
    "Another thing: ",
    "Separately, ",
    "To make matters worse, ",
    "What's more, ",
    "Oh and ",
    "Besides that, ",
    "In addition, ",
    "Not only that, ",
)
# When one side is neutral (a feature request next to praise or a complaint).
LINK_ASIDE: tuple[str, ...] = (
    "Apart from that, ",
    "Other than that, ",
    "Otherwise ",
    "Overall though, ",
    "Anyway, ",
    "Beyond that, ",
    "For the record, ",
    "Side note: ",
)
LINK_FLIP: tuple[str, ...] = (
    "But ",
    "However, ",
    "That said, ",
    "The only problem: ",
    "Sadly, ",
    "Still, ",
    "Unfortunately ",
    "On the other hand, ",
    "Although ",
    "Mind you, ",
)

# Openers of review and survey text, by polarity.
REVIEW_OPENERS: dict[str, tuple[str, ...]] = {
    "negative": (
        "Honestly disappointed.",
        "Ugh.",
        "Not happy.",
        "What a letdown.",
        "Really frustrated.",
        "Seriously?",
        "Used to love this app.",
        "Avoid.",
        "Do better, Northwind.",
        "Two words: not good.",
        "Meh.",
        "I wanted to like this.",
        "Three months in, still annoyed.",
        "Update:",
    ),
    "positive": (
        "Really impressed.",
        "Wow.",
        "So happy with this.",
        "Honestly great.",
        "10/10.",
        "Finally a smart hub that works.",
        "Can't fault it.",
        "Pleasantly surprised.",
        "Brilliant.",
        "Been using it for a year now.",
    ),
    "neutral": ("Decent overall.", "Pretty good.", "Solid app.", "It's fine.", "Good start."),
    "mixed": (
        "Mixed feelings.",
        "Love/hate relationship.",
        "Good and bad.",
        "Almost perfect.",
        "Could be great.",
    ),
}

# Short additions that keep short answers from repeating word for word.
INTENSIFIERS: tuple[str, ...] = (
    "honestly, ",
    "tbh ",
    "well, ",
    "ok so ",
    "in short: ",
    "basically ",
    "bottom line: ",
)
TAILS: dict[str, tuple[str, ...]] = {
    "negative": (
        "please fix",
        "not impressed",
        "very annoying",
        "so frustrating",
        "disappointed",
        "sort it out",
        "not good enough",
        "again",
        "every single time",
        "expected better",
        "fix it please",
        "really annoying",
        "not acceptable",
        "getting old",
        "sigh",
    ),
    "positive": (
        "keep it up",
        "thanks!",
        "would recommend",
        "no complaints",
        "10/10",
        "happy customer",
        "love it",
        "great job",
        "thank you",
        "well done",
        "very happy",
        "recommended",
        "cheers",
        "top notch",
    ),
    "neutral": ("otherwise fine", "overall ok", "that's all", "just saying", "thanks", "would be nice"),
    "mixed": ("otherwise fine", "mostly happy", "room for improvement", "could be better", "so close", "meh"),
}

EMOJIS: dict[str, tuple[str, ...]] = {
    "negative": ("😡", "😤", "🙄", "👎", "😞", "🤬", "💩", "😩", "😠"),
    "positive": ("😍", "👍", "🙌", "❤️", "⭐⭐⭐⭐⭐", "🔥", "😊", "💯", "👏"),
    "neutral": ("🤔", "🙂", "👌"),
    "mixed": ("🤷", "😕", "🙂", "🤔"),
}

TYPOS: dict[str, str] = {
    "definitely": "definately",
    "received": "recieved",
    "receive": "recieve",
    "you": "u",
    "your": "ur",
    "please": "pls",
    "because": "bc",
    "really": "realy",
    "separately": "seperately",
    "though": "tho",
    "account": "acount",
    "notification": "notifcation",
    "subscription": "subscripton",
    "anyone": "any1",
    "with": "wiht",
    "thanks": "thx",
    "immediately": "immediatly",
    "business": "buisness",
    "weird": "wierd",
}
