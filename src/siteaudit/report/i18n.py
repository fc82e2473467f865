"""The UI strings of the reports in Russian, Kazakh and English, and date/number formats.

A small dict-based catalogue for now (a later change moves it to Babel). Every language
has every key; ``tests/unit/test_report.py`` checks that. English status hints come from
``models.STATUS_HINTS`` so they are written once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from ..errors import InputError
from ..models import STATUS_HINTS, Outcome, SiteStatus

LANGUAGES = ("ru", "kk", "en")

_STATUS: dict[str, dict[SiteStatus, str]] = {
    "ru": {
        SiteStatus.OK: "Доступен",
        SiteStatus.DNS_ERROR: "Домен не найден (DNS)",
        SiteStatus.CONNECT_ERROR: "Нет соединения",
        SiteStatus.TIMEOUT: "Превышено время ожидания",
        SiteStatus.TLS_ERROR: "Ошибка сертификата HTTPS",
        SiteStatus.HTTP_ERROR: "Ошибка HTTP",
        SiteStatus.BLOCKED: "Доступ заблокирован",
        SiteStatus.ROBOTS_DISALLOWED: "Запрещено robots.txt",
        SiteStatus.TOO_MANY_REDIRECTS: "Слишком много перенаправлений",
        SiteStatus.TOO_LARGE: "Страница слишком большая",
        SiteStatus.NOT_HTML: "Не HTML-страница",
        SiteStatus.INTERNAL_ERROR: "Внутренняя ошибка siteaudit",
    },
    "kk": {
        SiteStatus.OK: "Қолжетімді",
        SiteStatus.DNS_ERROR: "Домен табылмады (DNS)",
        SiteStatus.CONNECT_ERROR: "Байланыс жоқ",
        SiteStatus.TIMEOUT: "Күту уақыты өтті",
        SiteStatus.TLS_ERROR: "HTTPS сертификатының қатесі",
        SiteStatus.HTTP_ERROR: "HTTP қатесі",
        SiteStatus.BLOCKED: "Қолжетімділік бұғатталған",
        SiteStatus.ROBOTS_DISALLOWED: "robots.txt тыйым салған",
        SiteStatus.TOO_MANY_REDIRECTS: "Қайта бағыттау тым көп",
        SiteStatus.TOO_LARGE: "Бет тым үлкен",
        SiteStatus.NOT_HTML: "HTML беті емес",
        SiteStatus.INTERNAL_ERROR: "siteaudit ішкі қатесі",
    },
    "en": {status: status.value.replace("_", " ").capitalize() for status in SiteStatus},
}
_STATUS["en"].update(
    {
        SiteStatus.OK: "Reachable",
        SiteStatus.DNS_ERROR: "Domain not found (DNS)",
        SiteStatus.TLS_ERROR: "HTTPS certificate error",
        SiteStatus.HTTP_ERROR: "HTTP error",
        SiteStatus.ROBOTS_DISALLOWED: "Disallowed by robots.txt",
        SiteStatus.INTERNAL_ERROR: "siteaudit internal error",
    }
)

_HINTS: dict[str, dict[SiteStatus, str]] = {
    "ru": {
        SiteStatus.OK: "",
        SiteStatus.DNS_ERROR: "Доменное имя не разрешается: проверьте DNS-записи домена.",
        SiteStatus.CONNECT_ERROR: "Сервер отклонил или разорвал соединение: проверьте, что "
        "веб-сервер работает и доступен на портах 80/443.",
        SiteStatus.TIMEOUT: "Сервер не ответил вовремя: проверьте нагрузку и доступность хостинга.",
        SiteStatus.TLS_ERROR: "Не удалось проверить HTTPS-сертификат: обновите его или установите "
        "полную цепочку сертификатов.",
        SiteStatus.HTTP_ERROR: "Главная страница вернула ошибку HTTP: исправьте страницу или "
        "настройки сервера.",
        SiteStatus.BLOCKED: "Сканеру отказано в доступе (403/429 или сетевая политика): разрешите "
        "обычным посетителям и добросовестным роботам читать публичные страницы.",
        SiteStatus.ROBOTS_DISALLOWED: "robots.txt запрещает роботам читать главную страницу: "
        "разрешите публичные страницы в robots.txt.",
        SiteStatus.TOO_MANY_REDIRECTS: "Адрес перенаправляет по кругу или слишком много раз: "
        "исправьте правила перенаправления.",
        SiteStatus.TOO_LARGE: "Страница больше предела сканера: отдавайте страницы "
        "обычного размера.",
        SiteStatus.NOT_HTML: "По адресу нет HTML-страницы: укажите адрес главной страницы сайта.",
        SiteStatus.INTERNAL_ERROR: "siteaudit дал сбой на этом сайте (сайт не виноват): запустите "
        "с --debug и сообщите трассировку.",
    },
    "kk": {
        SiteStatus.OK: "",
        SiteStatus.DNS_ERROR: "Домен атауы анықталмайды: доменнің DNS жазбаларын тексеріңіз.",
        SiteStatus.CONNECT_ERROR: "Сервер байланысты қабылдамады немесе үзді: веб-сервердің "
        "жұмыс істеп тұрғанын және 80/443 порттарында қолжетімді екенін тексеріңіз.",
        SiteStatus.TIMEOUT: "Сервер уақытында жауап бермеді: хостингтің жүктемесі мен "
        "қолжетімділігін тексеріңіз.",
        SiteStatus.TLS_ERROR: "HTTPS сертификатын тексеру мүмкін болмады: оны жаңартыңыз немесе "
        "сертификаттардың толық тізбегін орнатыңыз.",
        SiteStatus.HTTP_ERROR: "Басты бет HTTP қатесін қайтарды: бетті немесе сервер "
        "баптауларын түзетіңіз.",
        SiteStatus.BLOCKED: "Сканерге рұқсат берілмеді (403/429 немесе желі саясаты): қарапайым "
        "келушілер мен адал роботтарға жария беттерді оқуға рұқсат етіңіз.",
        SiteStatus.ROBOTS_DISALLOWED: "robots.txt роботтарға басты бетті оқуға тыйым салады: "
        "robots.txt ішінде жария беттерге рұқсат беріңіз.",
        SiteStatus.TOO_MANY_REDIRECTS: "Мекенжай шеңбер бойымен немесе тым көп рет қайта "
        "бағытталады: қайта бағыттау ережелерін түзетіңіз.",
        SiteStatus.TOO_LARGE: "Бет сканер шегінен үлкен: қалыпты өлшемдегі беттерді беріңіз.",
        SiteStatus.NOT_HTML: "Мекенжайда HTML беті жоқ: сайттың басты бетінің мекенжайын "
        "көрсетіңіз.",
        SiteStatus.INTERNAL_ERROR: "siteaudit осы сайтта істен шықты (сайттың кінәсі емес): "
        "--debug арқылы іске қосып, трассировканы хабарлаңыз.",
    },
    "en": dict(STATUS_HINTS),
}

_OUTCOME: dict[str, dict[Outcome, str]] = {
    "ru": {Outcome.PRESENT: "Есть", Outcome.ABSENT: "Нет", Outcome.UNKNOWN: "Не определено"},
    "kk": {Outcome.PRESENT: "Бар", Outcome.ABSENT: "Жоқ", Outcome.UNKNOWN: "Анықталмады"},
    "en": {Outcome.PRESENT: "Present", Outcome.ABSENT: "Absent", Outcome.UNKNOWN: "Unknown"},
}

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "report_title": "Аудит сайтов медицинских организаций",
        "summary": "Сводка",
        "scanned": "Проверено организаций",
        "reachable": "Сайт доступен",
        "unreachable": "Сайт недоступен",
        "unreachable_none": "Все сайты были доступны.",
        "unreachable_reasons": "Причины недоступности",
        "mean_completeness": "Средняя полнота (по доступным сайтам)",
        "organizations": "Организации",
        "organization": "Организация",
        "name": "Название",
        "url": "Сайт",
        "region": "Регион",
        "country": "Страна",
        "type": "Тип",
        "status": "Статус",
        "detail": "Подробности",
        "hint": "Что сделать",
        "completeness": "Полнота, %",
        "freshness": "Актуальность, %",
        "newest_news": "Последняя новость",
        "scores": "Оценки",
        "pages_fetched": "Загружено страниц",
        "pages_failed": "Страниц с ошибкой",
        "counts": "Есть / нет / не определено",
        "checklist": "Перечень требований",
        "item": "Требование",
        "outcome": "Результат",
        "reason": "Обоснование",
        "evidence": "Доказательства",
        "fetched_at": "загружено",
        "citation": "Норма",
        "other_items": "Прочие пункты",
        "no_findings": "Требования не проверялись: сайт недоступен.",
        "not_scored": "нет оценки",
        "none": "—",
        "back_to_index": "← Ко всем организациям",
        "run": "Запуск",
        "run_id": "Номер запуска",
        "as_of": "Дата проверки",
        "registry": "Реестр",
        "run_state": "Состояние",
        "state_running": "идёт (отчёт неполный)",
        "state_finished": "завершён",
        "state_interrupted": "прерван (отчёт неполный)",
        "done_of_total": "Готово",
        "sort_hint": "Нажмите на заголовок столбца, чтобы отсортировать таблицу.",
        "generated_by": "Отчёт создан siteaudit",
        "skip_to_content": "Перейти к содержанию",
    },
    "kk": {
        "report_title": "Медициналық ұйымдар сайттарының аудиті",
        "summary": "Жиынтық",
        "scanned": "Тексерілген ұйымдар",
        "reachable": "Сайт қолжетімді",
        "unreachable": "Сайт қолжетімсіз",
        "unreachable_none": "Барлық сайттар қолжетімді болды.",
        "unreachable_reasons": "Қолжетімсіздік себептері",
        "mean_completeness": "Орташа толықтық (қолжетімді сайттар бойынша)",
        "organizations": "Ұйымдар",
        "organization": "Ұйым",
        "name": "Атауы",
        "url": "Сайт",
        "region": "Өңір",
        "country": "Ел",
        "type": "Түрі",
        "status": "Мәртебе",
        "detail": "Толығырақ",
        "hint": "Не істеу керек",
        "completeness": "Толықтық, %",
        "freshness": "Өзектілік, %",
        "newest_news": "Соңғы жаңалық",
        "scores": "Бағалар",
        "pages_fetched": "Жүктелген беттер",
        "pages_failed": "Қатесі бар беттер",
        "counts": "Бар / жоқ / анықталмады",
        "checklist": "Талаптар тізбесі",
        "item": "Талап",
        "outcome": "Нәтиже",
        "reason": "Негіздеме",
        "evidence": "Дәлелдер",
        "fetched_at": "жүктелді",
        "citation": "Норма",
        "other_items": "Басқа тармақтар",
        "no_findings": "Талаптар тексерілмеді: сайт қолжетімсіз.",
        "not_scored": "бағасы жоқ",
        "none": "—",
        "back_to_index": "← Барлық ұйымдарға",
        "run": "Іске қосу",
        "run_id": "Іске қосу нөмірі",
        "as_of": "Тексеру күні",
        "registry": "Тізілім",
        "run_state": "Күйі",
        "state_running": "жүріп жатыр (есеп толық емес)",
        "state_finished": "аяқталды",
        "state_interrupted": "үзілді (есеп толық емес)",
        "done_of_total": "Дайын",
        "sort_hint": "Кестені сұрыптау үшін баған тақырыбын басыңыз.",
        "generated_by": "Есепті siteaudit жасады",
        "skip_to_content": "Мазмұнға өту",
    },
    "en": {
        "report_title": "Audit of medical organization websites",
        "summary": "Summary",
        "scanned": "Organizations scanned",
        "reachable": "Site reachable",
        "unreachable": "Site unreachable",
        "unreachable_none": "Every site was reachable.",
        "unreachable_reasons": "Why sites were unreachable",
        "mean_completeness": "Mean completeness (reachable sites)",
        "organizations": "Organizations",
        "organization": "Organization",
        "name": "Name",
        "url": "Website",
        "region": "Region",
        "country": "Country",
        "type": "Type",
        "status": "Status",
        "detail": "Details",
        "hint": "What to do",
        "completeness": "Completeness, %",
        "freshness": "Freshness, %",
        "newest_news": "Newest news",
        "scores": "Scores",
        "pages_fetched": "Pages fetched",
        "pages_failed": "Pages failed",
        "counts": "Present / absent / unknown",
        "checklist": "Checklist",
        "item": "Requirement",
        "outcome": "Outcome",
        "reason": "Reason",
        "evidence": "Evidence",
        "fetched_at": "fetched",
        "citation": "Legal basis",
        "other_items": "Other items",
        "no_findings": "No requirement was checked: the site was unreachable.",
        "not_scored": "not scored",
        "none": "—",
        "back_to_index": "← All organizations",
        "run": "Run",
        "run_id": "Run number",
        "as_of": "Checked on",
        "registry": "Registry",
        "run_state": "State",
        "state_running": "running (partial report)",
        "state_finished": "finished",
        "state_interrupted": "interrupted (partial report)",
        "done_of_total": "Done",
        "sort_hint": "Select a column header to sort the table.",
        "generated_by": "Report generated by siteaudit",
        "skip_to_content": "Skip to content",
    },
}

_DECIMAL = {"ru": ",", "kk": ",", "en": "."}


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(
            f"report language {lang!r} is not supported; use one of: {', '.join(LANGUAGES)}"
        )
    return lang


def catalogue(lang: str) -> dict[str, str]:
    """All plain UI strings of one language (KeyError on a missing key, never a blank)."""
    return _TEXT[check_lang(lang)]


def status_label(status: SiteStatus, lang: str) -> str:
    return _STATUS[lang][status]


def status_hint(status: SiteStatus, lang: str) -> str:
    return _HINTS[lang][status]


def outcome_label(outcome: Outcome, lang: str) -> str:
    return _OUTCOME[lang][outcome]


def format_date(value: date | None, lang: str) -> str:
    """dd.mm.yyyy for ru/kk, ISO for en; empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if lang == "en" else value.strftime("%d.%m.%Y")


def format_datetime(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    stamp = value.strftime("%H:%M %Z").strip()
    return f"{format_date(value.date(), lang)} {stamp}"


def format_number(value: float | None, lang: str) -> str:
    """One decimal with the language's decimal mark; empty for None."""
    if value is None:
        return ""
    return f"{value:.1f}".replace(".", _DECIMAL[lang])


def translator(lang: str) -> Callable[[str], str]:
    text = catalogue(lang)
    return text.__getitem__
