"""``GET /staff/campaigns/{id}/report``: one campaign's report, as charts and tables.

The numbers are :func:`mailer.events.report.campaign_report`'s (what ``newsletter report
--json`` prints) and :func:`mailer.events.timeline.first_days`'s; each chart
(:mod:`.charts`) sits beside a table of the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.events.report import CampaignReport, campaign_report
from mailer.events.timeline import Day, first_days
from mailer.send.campaigns import get_campaign
from mailer.web.pages import Endpoint
from mailer.web.staff.charts import Bar, bar_chart
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session

LINKS = 10

#: (report field, label) of each chart's rows; the report's own names, so both agree.
REACH = (
    ("accepted", "accepted"),
    ("delivered", "delivered"),
    ("opened", "opened (people)"),
    ("clicked", "clicked (people)"),
)
TROUBLE = (
    ("bounced", "bounced (hard)"),
    ("blocked", "blocked or expired"),
    ("dropped", "dropped"),
    ("complained", "complained"),
    ("unsubscribed", "unsubscribed"),
)


def report_routes(console: Console) -> list[Route]:
    return [Route("/staff/campaigns/{id:int}/report", _report(console), methods=["GET", "HEAD"])]


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    value: int
    rate: str  # share of accepted deliveries, "" before any was accepted


def _rows(report: CampaignReport, fields: tuple[tuple[str, str], ...]) -> list[Row]:
    rows = []
    for key, label in fields:
        value = int(getattr(report, key))
        rate = report.rate(value)
        rows.append(Row(key, label, value, "" if rate is None else f"{rate:.1%}"))
    return rows


def charts_for(report: CampaignReport, days: tuple[Day, ...]) -> dict[str, object]:
    """The report's tables and the charts of the same numbers."""
    reach = _rows(report, REACH)
    trouble = _rows(report, TROUBLE)
    link_bars = []
    for n, link in enumerate(report.top_links, 1):
        link_bars.append(Bar(f"link {n}: people", link.clickers))
        link_bars.append(Bar(f"link {n}: clicks", link.clicks, hatched=True))
    day_bars = []
    for day in days:
        day_bars.append(Bar(f"day {day.number}: clicks", day.clicks))
        day_bars.append(Bar(f"day {day.number}: opens", day.opens, hatched=True))
    reach_bars = [Bar(r.label, r.value, hatched="people" in r.label) for r in reach]
    return {
        "reach": reach,
        "trouble": trouble,
        "reach_chart": bar_chart("chart-reach", "Deliveries and responses", reach_bars),
        "trouble_chart": bar_chart(
            "chart-trouble",
            "Bounces by classification, complaints and unsubscribes",
            [Bar(r.label, r.value) for r in trouble],
        ),
        "links_chart": bar_chart("chart-links", "Clicks per link (hatched: clicks)", link_bars),
        "days_chart": bar_chart("chart-days", "Clicks and opens (hatched) per day", day_bars),
    }


def _report(console: Console) -> Endpoint:
    @console.guard("view")
    async def report(request: Request, session: Session) -> Response:
        campaign = get_campaign(console.engine, int(request.path_params["id"]))
        if campaign is None:
            raise HTTPException(404)
        found = campaign_report(console.engine, campaign, links=LINKS)
        days = first_days(console.engine, campaign)
        context = {"campaign": campaign, "report": found, "days": days, **charts_for(found, days)}
        return console.render(request, session, "report.html.j2", context)

    return report
