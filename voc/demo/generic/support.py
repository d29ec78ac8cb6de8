"""What support said and the non-English items: quoted replies, sign-offs, chat lines, foreign sentences. See `voc.demo.generic`."""

from __future__ import annotations

# Earlier support replies that customers quote back.
SUPPORT_REPLIES: tuple[str, ...] = (
    "Thanks for contacting Northwind Support. Could you send us your order number so we can look into this?",
    "Thank you for your patience. I've passed this on to our specialist team and they will be in touch within 48 hours.",
    "Hi, sorry to hear about the trouble. Could you try restarting the hub and let us know if the issue persists?",
    "We have processed your request. Please allow 5-10 business days for the change to take effect.",
    "Apologies for the delay in getting back to you. We are experiencing a higher volume of requests than usual.",
    "I have escalated your ticket to our billing team.",
    "Could you please send a screenshot of the error message and the app version you are using?",
    "Thanks for reaching out! Our records show the order has left our warehouse.",
    "We're sorry for the inconvenience. A replacement has been requested.",
    "Hello, we haven't heard back from you, so we'll close this ticket in 3 days. Just reply to reopen it.",
    "Thank you for your feedback, I've shared it with the product team.",
)
SUPPORT_SIGNOFFS: tuple[str, ...] = (
    "Best,\n{agent}\nNorthwind Support",
    "Kind regards,\n{agent} | Northwind Customer Care",
    "{agent}\nNorthwind Support Team",
)

CHAT_WELCOMES: tuple[str, ...] = (
    "Hi {first}, thanks for contacting Northwind! How can I help?",
    "Hello {first}, you're through to {agent}.",
    "Hi! My name is {agent}, what can I do for you today?",
    "Good to have you here {first}. What's up?",
    "Welcome to Northwind chat. How can I help?",
    "Hi {first}, {agent} here. How can I help today?",
)
CHAT_AGENT_LINES: tuple[str, ...] = (
    "Thanks for waiting, let me take a look.",
    "Could you confirm the email on the account?",
    "I'm checking that for you now.",
    "I understand, that's frustrating.",
    "One moment please.",
    "Can you tell me the serial number on the back of the device?",
    "I'll raise this with the team.",
    "Is there anything else I can help with today?",
    "Sorry about that!",
    "Let me see what I can do.",
)
CHAT_CUSTOMER_FILLERS: tuple[str, ...] = (
    "ok",
    "sure",
    "yes",
    "thanks",
    "ok thanks",
    "no that's all",
    "yep",
    "one sec",
    "right",
    "ok I'll wait",
    "that's it",
    "ok, done",
)

# Non-English items: (language, theme) -> sentences; kept as feedback and
# tagged by language downstream.
FOREIGN: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "delivery_delay": (
            "J'ai commandé le hub il y a {days} jours et je n'ai toujours rien reçu.",
            "La livraison a pris presque trois semaines, c'est beaucoup trop long.",
            "Le suivi du colis ne bouge plus depuis une semaine.",
        ),
        "app_crash": (
            "L'application plante à chaque ouverture depuis la mise à jour.",
            "Depuis la version {version}, impossible d'ouvrir l'appli sans qu'elle se ferme.",
        ),
        "praise_ease": (
            "Application très simple à utiliser, je recommande.",
            "Super facile à installer, tout fonctionne du premier coup.",
            "Interface claire et intuitive, bravo à l'équipe.",
        ),
        "praise_staff": (
            "Le service client a été très réactif et aimable.",
            "Merci à {agent} pour son aide précieuse.",
            "Conseiller patient et compétent, problème réglé en un appel.",
        ),
        "double_charge": (
            "J'ai été prélevé deux fois ce mois-ci, merci de me rembourser.",
            "La facture de {amount} ne correspond pas à mon abonnement.",
        ),
        "login_2fa": (
            "Je ne reçois jamais le code de vérification par SMS.",
            "Impossible de me connecter depuis {weekday}, le code expire avant d'arriver.",
        ),
    },
    "de": {
        "delivery_delay": (
            "Ich warte seit {days} Tagen auf meine Bestellung.",
            "Die Lieferung hat fast drei Wochen gedauert, das ist viel zu lang.",
        ),
        "app_crash": (
            "Seit dem letzten Update stürzt die App ständig ab.",
            "Die App schließt sich sofort nach dem Start, sehr ärgerlich.",
        ),
        "praise_ease": (
            "Sehr einfach zu bedienen, klare Empfehlung.",
            "Einrichtung in fünf Minuten erledigt, top!",
        ),
        "praise_staff": (
            "Der Support war freundlich und hat mir schnell geholfen.",
            "Vielen Dank an {agent}, super Service!",
        ),
        "double_charge": (
            "Mir wurde das Abo doppelt abgebucht.",
            "Die Rechnung ist falsch, bitte korrigieren.",
        ),
        "battery_life": (
            "Der Akku hält nur wenige Tage.",
            "Seit dem Update ist der Akku nach {hours} Stunden leer.",
        ),
        "support_wait": (
            "Ich warte seit einer Woche auf eine Antwort vom Support.",
            "Niemand antwortet auf mein Ticket, das ist inakzeptabel.",
        ),
    },
    "es": {
        "delivery_delay": (
            "Hice el pedido hace {days} días y todavía no ha llegado.",
            "El envío tardó muchísimo.",
        ),
        "app_crash": (
            "La aplicación se cierra sola desde la última actualización.",
            "Desde la versión {version} la app se cuelga al abrirla.",
        ),
        "praise_ease": ("Muy fácil de usar, me encanta.", "La aplicación es sencilla y funciona perfecto."),
        "praise_staff": (
            "El equipo de soporte fue muy amable y resolvió todo rápido.",
            "Gracias a {agent} por la paciencia y la ayuda.",
        ),
        "login_2fa": (
            "No me llega el código de verificación y no puedo entrar.",
            "Llevo {days} días sin poder iniciar sesión.",
        ),
        "refund_delay": (
            "Sigo esperando el reembolso después de {days} días.",
            "Me prometieron el reembolso hace tiempo y nada.",
        ),
    },
}
FOREIGN_CLOSERS: dict[str, tuple[str, ...]] = {
    "fr": ("Merci.", "Cordialement.", "Bonne journée.", ""),
    "de": ("Danke.", "Mit freundlichen Grüßen.", "Viele Grüße.", ""),
    "es": ("Gracias.", "Saludos.", "Un saludo.", ""),
}
FOREIGN_COUNTRY: dict[str, str] = {"fr": "FR", "de": "DE", "es": "ES"}
