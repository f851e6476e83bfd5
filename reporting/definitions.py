"""The statistics' words: every measure, breakdown and note of the report in
plain Swedish and English (funders ask), and the labels of the report's own
rows."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language

from .suppression import rounding_base, suppression_threshold

# The version of the definitions below: raised whenever a definition changes
# what a figure counts, so a figure handed in can be matched to its wording.
# 2 (issue 16): controlled rounding; rates from rounded counts; whole weeks or
# months for one's own period; unmet demand counts people; first-time
# enterprises by their first session held or to come.
DEFINITIONS_VERSION = 2

# Every measure, breakdown and mark of the report in plain Swedish and English,
# because funders ask. The export's "Definitions" sheet and the definitions
# page render this; "{threshold}" stands for STATISTICS_SUPPRESSION_THRESHOLD
# (see `definitions()`).
DEFINITIONS: dict[str, dict[str, str]] = {
    "period": {
        "kind": "note",
        "name_sv": "Period",
        "name_en": "Period",
        "sv": "Rapporten räknar bokningar vars möte börjar under perioden, från första till sista dagen, "
        "båda inräknade, i svensk tid. Mötena räknas till regionen där rådgivaren arbetade när bokningen "
        "gjordes. En rapport omfattar hela kalendermånader eller hela veckor (måndag till söndag): andra "
        "datum vidgas till de hela veckorna runt dem, så att två rapporter alltid skiljer sig åt med "
        "minst en vecka.",
        "en": "The report counts bookings whose session starts in the period, from the first to the last "
        "day, both included, in Swedish time. Sessions count for the region the advisor worked in when "
        "the booking was made. A report covers whole calendar months or whole weeks (Monday to Sunday): "
        "other dates are widened to the whole weeks around them, so that two reports always differ by at "
        "least a week.",
    },
    "bookings": {
        "kind": "measure",
        "name_sv": "Bokningar",
        "name_en": "Bookings",
        "sv": "Alla bokningar av rådgivningsmöten under perioden: genomförda, uteblivna, avbokade och ännu "
        "inte avrapporterade.",
        "en": "All bookings of advice sessions in the period: held, no-show, cancelled and not yet recorded.",
    },
    "sessions_held": {
        "kind": "measure",
        "name_sv": "Genomförda möten",
        "name_en": "Sessions held",
        "sv": "Möten som rådgivaren har rapporterat som genomförda.",
        "en": "Sessions the advisor recorded as held.",
    },
    "unique_enterprises": {
        "kind": "measure",
        "name_sv": "Företag som fått rådgivning",
        "name_en": "Enterprises advised",
        "sv": "Olika företag (och affärsidéer) med minst ett genomfört möte under perioden. Varje företag "
        "räknas en gång, efter organisationsnummer eller, utan nummer, som sin egen post.",
        "en": "Distinct enterprises (and business ideas) with at least one session held in the period. "
        "Each counts once, by organisation number or, without one, as its own record.",
    },
    "first_time_enterprises": {
        "kind": "measure",
        "name_sv": "Nya företag",
        "name_en": "First-time enterprises",
        "sv": "Företag vars första möte i Rådtid var ett möte som genomfördes under perioden. Det första "
        "mötet är det tidigaste som genomfördes eller ännu väntar; avbokade möten och möten där "
        "företaget uteblev räknas inte. Avbokas eller flyttas ett tidigare möte, eller uteblir företaget "
        "från det, blir nästa möte det första, även i rapporter för perioder som redan passerat.",
        "en": "Enterprises whose first session with Rådtid was a session held in the period. The first "
        "session is the earliest one held or still to come; cancelled sessions and no-shows do not "
        "count. When an earlier session is cancelled, moved later or missed, the next one becomes the "
        "first, in reports of past periods too.",
    },
    "returning_enterprises": {
        "kind": "measure",
        "name_sv": "Återkommande företag",
        "name_en": "Returning enterprises",
        "sv": "Företag med ett genomfört möte under perioden som inte var deras första möte (se Nya "
        "företag): de kom tillbaka. Ett företag vars första och andra möte båda ligger i perioden räknas både som nytt "
        "och som återkommande.",
        "en": "Enterprises with a session held in the period that was not their first session (see "
        "First-time enterprises): they came back. An enterprise whose first and second sessions both fall in the period counts as both "
        "first-time and returning.",
    },
    "unique_people": {
        "kind": "measure",
        "name_sv": "Personer som fått rådgivning",
        "name_en": "People advised",
        "sv": "Olika personer med minst ett genomfört möte under perioden, räknade en gång var.",
        "en": "Distinct people with at least one session held in the period, each counted once.",
    },
    "advice_hours": {
        "kind": "measure",
        "name_sv": "Rådgivningstimmar",
        "name_en": "Advice hours",
        "sv": "Summan av de genomförda mötenas bokade längd, i timmar, avrundad till närmaste multipel av "
        "{base} (se Dolda uppgifter).",
        "en": "The booked length of the sessions held, added up, in hours, rounded to the nearest multiple "
        "of {base} (see Hidden figures).",
    },
    "no_show_rate": {
        "kind": "measure",
        "name_sv": "Andel uteblivna",
        "name_en": "No-show rate",
        "sv": "Uteblivna möten delat med genomförda och uteblivna möten (0–1), räknat på de avrundade "
        "antalen. Visas inte när de uteblivna eller de genomförda är 1–{below}.",
        "en": "No-shows divided by sessions held plus no-shows (0–1), worked out from the rounded "
        "counts. Not shown when the no-shows or the sessions held number 1–{below}.",
    },
    "cancellation_rate": {
        "kind": "measure",
        "name_sv": "Andel avbokade",
        "name_en": "Cancellation rate",
        "sv": "Avbokade bokningar delat med alla bokningar (0–1), räknat på de avrundade antalen. Visas "
        "inte när de avbokade eller de andra bokningarna är 1–{below}.",
        "en": "Cancelled bookings divided by all bookings (0–1), worked out from the rounded counts. Not "
        "shown when the cancelled or the other bookings number 1–{below}.",
    },
    "median_waiting_days": {
        "kind": "measure",
        "name_sv": "Väntetid, median (dagar)",
        "name_en": "Waiting time, median (days)",
        "sv": "Dagar från att bokningen gjordes till mötet: hälften av bokningarna väntade kortare, hälften "
        "längre. Alla bokningar räknas, även avbokade.",
        "en": "Days from making the booking to the session: half of the bookings waited less, half more. "
        "All bookings count, cancelled ones too.",
    },
    "p90_waiting_days": {
        "kind": "measure",
        "name_sv": "Väntetid, 90:e percentilen (dagar)",
        "name_en": "Waiting time, 90th percentile (days)",
        "sv": "Nio av tio bokningar hade högst så här många dagar från bokning till möte.",
        "en": "Nine in ten bookings had at most this many days from booking to session.",
    },
    "share_within_14_days": {
        "kind": "measure",
        "name_sv": "Andel med möte inom 14 dagar",
        "name_en": "Share with a session within 14 days",
        "sv": "Andelen bokningar där mötet låg högst 14 dagar efter att bokningen gjordes (0–1), räknat på "
        "de avrundade antalen. Visas inte när de bokningarna eller de övriga är 1–{below}.",
        "en": "The share of bookings whose session was at most 14 days after the booking was made (0–1), "
        "worked out from the rounded counts. Not shown when those bookings or the others number 1–{below}.",
    },
    "offered_hours": {
        "kind": "measure",
        "name_sv": "Erbjudna timmar",
        "name_en": "Offered hours",
        "sv": "Rådgivarnas arbetstid för bokningar under perioden enligt deras kalendrar: veckotider och "
        "ändrade dagar, minus helgdagar och ledighet. Räknas för regionens aktiva rådgivare och för dem "
        "som hade bokningar under perioden. Finns per månad och per organisation.",
        "en": "The advisors' working hours for bookings in the period from their calendars: weekly hours "
        "and changed dates, less public holidays and time off. Counted for the region's active advisors "
        "and for those with bookings in the period. Given by month and by organisation.",
    },
    "utilisation": {
        "kind": "measure",
        "name_sv": "Beläggning",
        "name_en": "Utilisation",
        "sv": "Bokade timmar (genomförda, uteblivna och bekräftade möten), avrundade som rådgivningstimmarna, "
        "delat med erbjudna timmar.",
        "en": "Booked hours (sessions held, no-shows and confirmed sessions), rounded like the advice hours, "
        "divided by offered hours.",
    },
    "mean_rating": {
        "kind": "measure",
        "name_sv": "Snittbetyg",
        "name_en": "Mean rating",
        "sv": "Medelvärdet av betygen (1–5) som företagarna gav genomförda möten under perioden.",
        "en": "The average of the ratings (1–5) entrepreneurs gave the sessions held in the period.",
    },
    "coverage": {
        "kind": "measure",
        "name_sv": "Täckning (kommuner)",
        "name_en": "Coverage (municipalities)",
        "sv": "Kommuner i regionen med minst ett företag som fått rådgivning under perioden, av alla "
        "regionens kommuner. Ett företag räknas till kommunen där det finns.",
        "en": "Municipalities of the region with at least one enterprise advised in the period, of all "
        "the region's municipalities. An enterprise counts for the municipality it is in.",
    },
    "unmet_demand": {
        "kind": "measure",
        "name_sv": "Ej tillgodosedd efterfrågan",
        "name_en": "Unmet demand",
        "sv": "Personer som anmälde sig till en väntelista under perioden för att de inte hittade någon "
        "ledig tid de närmaste två veckorna. Varje person räknas en gång, hur många väntelistor hen än "
        "står på; i en indelning en gång per rad. Per månad då anmälan gjordes.",
        "en": "People who joined a waitlist in the period because they found no free time in the next two "
        "weeks. Each person counts once, however many waitlists they are on; in a breakdown once per row. "
        "By the month they joined.",
    },
    "follow_up": {
        "kind": "note",
        "name_sv": "Uppföljning efter tre månader",
        "name_en": "Follow-up after three months",
        "sv": "Tre månader efter ett företags första genomförda möte får personen som bokade fyra frågor om "
        "vad rådgivningen ledde till. Räknas för företag vars första möte låg under perioden och som har "
        "svarat. Andelen är ja-svar delat med alla svar. Svaren redovisas bara tillsammans; ett antal, "
        "eller antalet som svarade nej, som bygger på 1–{below} företag döljs.",
        "en": "Three months after an enterprise's first session held, the person who booked it gets four "
        "questions about what the advice led to. Counted for enterprises whose first session fell in the "
        "period and who answered. The share is the yes answers divided by all answers. Answers are only "
        "reported together; a count, or the number who answered no, resting on 1–{below} enterprises is "
        "hidden.",
    },
    "follow_up_new_customers": {
        "kind": "measure",
        "name_sv": "Nya kunder",
        "name_en": "New customers",
        "sv": "Företag som svarade att rådgivningen bidrog till nya kunder.",
        "en": "Enterprises that answered that the advice contributed to new customers.",
    },
    "follow_up_public_contract": {
        "kind": "measure",
        "name_sv": "Offentlig upphandling",
        "name_en": "A public contract",
        "sv": "Företag som svarade att rådgivningen bidrog till ett kontrakt i en offentlig upphandling.",
        "en": "Enterprises that answered that the advice contributed to winning a public contract.",
    },
    "follow_up_financing": {
        "kind": "measure",
        "name_sv": "Finansiering",
        "name_en": "Financing",
        "sv": "Företag som svarade att rådgivningen bidrog till finansiering: lån, bidrag eller investering.",
        "en": "Enterprises that answered that the advice contributed to financing: a loan, a grant or an "
        "investment.",
    },
    "follow_up_hiring": {
        "kind": "measure",
        "name_sv": "Anställningar",
        "name_en": "Hiring",
        "sv": "Företag som svarade att rådgivningen bidrog till att de anställde personer som står långt "
        "från arbetsmarknaden.",
        "en": "Enterprises that answered that the advice contributed to hiring people far from the labour "
        "market.",
    },
    "by_month": {
        "kind": "breakdown",
        "name_sv": "Per månad",
        "name_en": "By month",
        "sv": "Månaden då mötet ägde rum.",
        "en": "The month the session took place.",
    },
    "by_topic": {
        "kind": "breakdown",
        "name_sv": "Per ämne",
        "name_en": "By topic",
        "sv": "Ämnet som valdes vid bokningen.",
        "en": "The topic chosen when booking.",
    },
    "by_municipality": {
        "kind": "breakdown",
        "name_sv": "Per kommun",
        "name_en": "By municipality",
        "sv": "Kommunen där företaget finns; även kommuner utanför regionen när deras företag fått råd här.",
        "en": "The municipality the enterprise is in; municipalities outside the region too, when their "
        "enterprises were advised here.",
    },
    "by_enterprise_kind": {
        "kind": "breakdown",
        "name_sv": "Per typ av företag",
        "name_en": "By kind of enterprise",
        "sv": "Arbetsintegrerande socialt företag, annat socialt företag, idé eller annat.",
        "en": "Work-integrating social enterprise, other social enterprise, idea or other.",
    },
    "by_gender": {
        "kind": "breakdown",
        "name_sv": "Per kön",
        "name_en": "By gender",
        "sv": "Kvinnor, män, samt annat eller ej angivet, som personen själv uppgav när bokningen gjordes.",
        "en": "Women, men, and other or not stated, as the person said when the booking was made.",
    },
    "by_mode": {
        "kind": "breakdown",
        "name_sv": "Per mötesform",
        "name_en": "By meeting mode",
        "sv": "På plats, telefon eller video.",
        "en": "In person, phone or video.",
    },
    "by_advisor_organisation": {
        "kind": "breakdown",
        "name_sv": "Per rådgivande organisation",
        "name_en": "By advisor organisation",
        "sv": "Organisationen som rådgivaren arbetade för när bokningen gjordes.",
        "en": "The organisation the advisor worked for when the booking was made.",
    },
    "by_booked_by": {
        "kind": "breakdown",
        "name_sv": "Per vem som bokade",
        "name_en": "By who booked",
        "sv": "Bokat av personen själv, eller av en rådgivare åt personen (till exempel när hen ringde eller kom "
        "förbi), vilken rådgivares tid det än gällde.",
        "en": "Booked by the person themselves, or by an advisor for them (for example when they called or "
        "walked in), whichever advisor's time it was.",
    },
    "by_need": {
        "kind": "breakdown",
        "name_sv": "Per behov för att delta",
        "name_en": "By need to take part",
        "sv": "Bokningar där personen bad om tolk (talat språk eller teckenspråk), tillgänglighet utan trappsteg, "
        "hörslinga, att en ledsagare eller handledare följer med, lättläst material eller något annat. En bokning "
        "med flera behov räknas på varje rad, en utan behov på ingen.",
        "en": "Bookings where the person asked for an interpreter (a spoken language or sign language), step-free "
        "access, a hearing loop, a companion or supervisor coming along, easy-to-read material or something else. "
        "A booking with several needs counts in each of their rows, one without any in none.",
    },
    "by_need_not_met": {
        "kind": "breakdown",
        "name_sv": "Behov som inte tillgodosågs",
        "name_en": "Needs that could not be met",
        "sv": "Bokningar där rådgivaren, när utfallet registrerades, angav att behovet inte kunde tillgodoses "
        "(till exempel att ingen tolk fanns). Samma rader som per behov.",
        "en": "Bookings where the advisor, recording the outcome, said the need could not be met (for example "
        "that no interpreter could be found). The same rows as by need.",
    },
    "hidden": {
        "kind": "note",
        "name_sv": "Dolda uppgifter",
        "name_en": "Hidden figures",
        "sv": "Ingen uppgift får kunna peka ut en person eller ett företag. Ett antal som bygger på 1–{below} "
        "företag eller personer visas som ”<{threshold}”, och andelar, medelvärden, medianer och timmar som "
        "bygger på så få visas inte (tomt). Ytterligare en rad döljs när det behövs för att en dold uppgift "
        "inte ska kunna räknas fram ur totalen och de andra raderna; den visas också som ”<{threshold}” "
        "eller tom. Tomt kan också betyda att uppgiften inte går att beräkna (ingen bokning) eller inte "
        "finns för indelningen. Alla antal som visas, och rådgivningstimmarna, är avrundade till närmaste "
        "multipel av {base} (kontrollerad avrundning, som SCB gör), och totalen avrundas för sig, så att "
        "raderna inte alltid summerar till den. Därför går ett dolt antal inte heller att räkna fram som "
        "skillnaden mellan två rapporter vars perioder överlappar. Andelar räknas på de avrundade antalen.",
        "en": "No figure may single out a person or an enterprise. A count based on 1–{below} enterprises "
        "or people shows as “<{threshold}”, and rates, averages, medians and hours based on so few are not "
        "shown (empty). One more row is hidden where needed so that a hidden figure cannot be worked out "
        "from the total and the other rows; it shows as “<{threshold}” or empty too. Empty can also mean "
        "that the figure cannot be computed (no bookings) or does not exist for the breakdown. Every count "
        "shown, and the advice hours, is rounded to the nearest multiple of {base} (controlled rounding, as "
        "Statistics Sweden does), and the total is rounded on its own, so rows need not add up to it. So a "
        "hidden count cannot be worked out either as the difference of two reports whose periods overlap. "
        "Rates are worked out from the rounded counts.",
    },
}


def definitions(threshold: int | None = None) -> dict[str, dict[str, str]]:
    """DEFINITIONS with the suppression threshold filled in."""
    threshold = suppression_threshold() if threshold is None else threshold
    values = {"threshold": threshold, "below": max(threshold - 1, 1), "base": rounding_base(threshold)}
    return {
        key: {field: text.format(**values) for field, text in entry.items()}
        for key, entry in DEFINITIONS.items()
    }


# The outcome follow-up's questions (bookings.models.FollowUpAnswer), in order.
FOLLOW_UP_OUTCOMES = ("new_customers", "public_contract", "financing", "hiring")


FOLLOW_UP_LABELS = {
    f"follow_up_{o}": (DEFINITIONS[f"follow_up_{o}"]["name_sv"], DEFINITIONS[f"follow_up_{o}"]["name_en"])
    for o in FOLLOW_UP_OUTCOMES
}


# Row labels of the report's own making, in Swedish and English (like
# DEFINITIONS, kept here so the report and its files read right in both).
LABELS = {
    "women": ("Kvinnor", "Women"),
    "men": ("Män", "Men"),
    "other_or_not_stated": ("Annat eller ej angivet", "Other or not stated"),
    "any_topic": ("Inget ämne (väntar på en viss rådgivare)", "No topic (waiting for a particular advisor)"),
    "booked_by_person": ("Bokat av personen själv", "Booked by the person"),
    "booked_by_advisor": ("Bokat av en rådgivare åt personen", "Booked by an advisor for the person"),
    "municipality_not_stated": ("Kommun ej angiven", "Municipality not stated"),
}


def label_text(key: str, labels: Mapping[str, tuple[str, str]] = LABELS) -> str:
    """A label in the active language: Swedish unless English is active."""
    swedish, english = labels[key]
    return english if english_active() else swedish


def english_active() -> bool:
    return (get_language() or "sv").startswith("en")


# A funding project's indicators (reporting.project_report), in the words a
# funder's form asks for. PROJECT_DEFINITIONS_VERSION is theirs.
PROJECT_DEFINITIONS: dict[str, dict[str, str]] = {
    "enterprises_supported": {
        "name_sv": "Stödda företag",
        "name_en": "Enterprises supported",
        "sv": "Företag (eller blivande företagare) som fått strukturerat och dokumenterat stöd i projektet: "
        "minst ett genomfört möte där rådgivaren har skrivit vad ni kom fram till. Varje företag räknas en "
        "gång, hur många möten det än har haft. Uteblivna, avbokade och odokumenterade möten räknas inte.",
        "en": "Enterprises (or would-be entrepreneurs) that received structured and documented support in the "
        "project: at least one held session whose outcome the advisor recorded. Each enterprise counts once, "
        "however many sessions it had. No-shows, cancellations and sessions without an outcome note do not "
        "count.",
    },
    "enterprises_supported_women_led": {
        "name_sv": "Stödda företag som leds av kvinnor",
        "name_en": "Enterprises supported, led by women",
        "sv": "De stödda företag där kvinnor äger minst hälften av företaget eller utgör minst hälften av "
        "ledningen, enligt vad företaget angav vid sitt senaste dokumenterade möte.",
        "en": "The enterprises supported that women own at least half of or make up at least half of the "
        "management of, as the enterprise said at its latest documented session.",
    },
    "participants": {
        "name_sv": "Deltagare",
        "name_en": "Participants",
        "sv": "Personer som deltagit i minst ett genomfört möte i projektet, var och en en gång.",
        "en": "People who took part in at least one held session in the project, each once.",
    },
    "participants_women": {
        "name_sv": "Deltagare, kvinnor",
        "name_en": "Participants, women",
        "sv": "Deltagare som angett att de är kvinnor (vid sitt senaste genomförda möte).",
        "en": "Participants who said they are women (at their latest held session).",
    },
    "participants_men": {
        "name_sv": "Deltagare, män",
        "name_en": "Participants, men",
        "sv": "Deltagare som angett att de är män (vid sitt senaste genomförda möte). Kvinnor och män summerar "
        "inte alltid till alla deltagare: en del anger annat eller inget.",
        "en": "Participants who said they are men (at their latest held session). Women and men need not add "
        "up to all participants: some say other or nothing.",
    },
    "sessions_held": {
        "name_sv": "Genomförda möten",
        "name_en": "Sessions held",
        "sv": "Möten i projektet som rådgivaren har markerat som genomförda.",
        "en": "Sessions in the project that the advisor recorded as held.",
    },
    "advice_hours": {
        "name_sv": "Rådgivningstimmar",
        "name_en": "Hours of advice",
        "sv": "De genomförda mötenas bokade längd, i timmar.",
        "en": "The booked length of the sessions held, in hours.",
    },
    "workshops_held": {
        "name_sv": "Genomförda workshoppar",
        "name_en": "Workshops held",
        "sv": "Gruppträffar i projektet som har genomförts. Rådtid har ännu inga gruppträffar, så talet är 0.",
        "en": "Group sessions in the project that were held. Rådtid has no group sessions yet, so this is 0.",
    },
    "referrals_made": {
        "name_sv": "Gjorda hänvisningar",
        "name_en": "Referrals made",
        "sv": "Hänvisningar från projektets möten till en rådgivare i en annan organisation. Rådtid har ännu "
        "inga hänvisningar, så talet är 0.",
        "en": "Referrals from the project's sessions to an advisor of another organisation. Rådtid has no "
        "referrals yet, so this is 0.",
    },
    "referrals_held": {
        "name_sv": "Hänvisningar som lett till möte",
        "name_en": "Referrals that led to a session",
        "sv": "Hänvisningar där det mottagande mötet har genomförts. Rådtid har ännu inga hänvisningar, så "
        "talet är 0.",
        "en": "Referrals whose receiving session was held. Rådtid has no referrals yet, so this is 0.",
    },
    "in_period": {
        "name_sv": "Under perioden",
        "name_en": "In the period",
        "sv": "Möten vars datum (svensk tid) ligger inom rapportperioden, första och sista dagen inräknade. "
        "Ett företag eller en person räknas en gång per period.",
        "en": "Sessions whose date (Swedish time) is in the reporting period, its first and last day "
        "included. An enterprise or a person counts once per period.",
    },
    "cumulative": {
        "name_sv": "Sedan projektets start",
        "name_en": "Since the project's start",
        "sv": "Samma sak från projektets första dag till periodens sista, det tal som förs in i "
        "finansiärens system. Ett företag eller en person räknas en gång under hela projektet, så talet "
        "är inte summan av periodernas tal.",
        "en": "The same from the project's first day to the period's last: the figure typed into the funder's "
        "system. An enterprise or a person counts once over the whole project, so it is not the sum of the "
        "periods' figures.",
    },
    "membership": {
        "name_sv": "Vilka möten som hör till projektet",
        "name_en": "Which sessions belong to the project",
        "sv": "Ett möte hör till projektet när rådgivaren arbetar i projektets region, mötets datum ligger "
        "inom projektet och projektet omfattar mötets rådgivare och ämne (ett projekt utan valda rådgivare "
        "eller ämnen omfattar alla). Passar flera projekt gäller det som startade sist. Rådgivaren kan "
        "flytta ett möte till ett annat projekt som passar, eller ta det ur projekten; det loggas.",
        "en": "A session belongs to the project when its advisor works in the project's region, its date is "
        "within the project and the project covers its advisor and topic (a project without chosen advisors "
        "or topics covers all). When several projects match, the one that started last counts it. The "
        "advisor may move a session to another matching project or out of the projects; that is logged.",
    },
    "exact": {
        "name_sv": "Exakta tal och skyddade tal",
        "name_en": "Exact and protected figures",
        "sv": "Projektets ägare ser exakta tal, eftersom finansiären kräver dem och ägarna ändå har "
        "deltagarförteckningen. Regionens övriga samordnare ser talen skyddade som i statistiken: ett antal "
        "företag eller personer från 1 till {below} visas som ”<{threshold}” och övriga tal avrundas till "
        "närmaste multipel av {base}.",
        "en": "The project's owners see exact figures, as the funder requires them and the owners hold the "
        "participant list anyway. The region's other coordinators see them protected as in the statistics: "
        "a count of 1–{below} enterprises or people shows as “<{threshold}” and the other figures are "
        "rounded to the nearest multiple of {base}.",
    },
    "snapshot": {
        "name_sv": "Stängd period",
        "name_en": "Closed period",
        "sv": "När en period stängs sparas dess tal som de var då, med definitionernas version, vem som "
        "stängde och när. Ändras ett möte i perioden senare ändras inte de sparade talen; skillnaden mot "
        "dagens tal visas, så att nästa rapport kan redovisa rättelsen.",
        "en": "Closing a period keeps its figures as they were, with the definitions' version, who closed it "
        "and when. A later change to a session in the period does not change the kept figures; the "
        "difference from today's figures is shown, so the next report can say what was corrected.",
    },
}


def project_definitions() -> dict[str, dict[str, str]]:
    """PROJECT_DEFINITIONS with the suppression threshold filled in."""
    threshold = suppression_threshold()
    values = {"threshold": threshold, "below": max(threshold - 1, 1), "base": rounding_base(threshold)}
    return {
        key: {field: text.format(**values) for field, text in entry.items()}
        for key, entry in PROJECT_DEFINITIONS.items()
    }


def project_name(key: str) -> str:
    """A project indicator's or note's name in the active language."""
    entry = PROJECT_DEFINITIONS[key]
    return entry["name_en"] if english_active() else entry["name_sv"]
