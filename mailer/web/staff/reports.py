"""``GET /staff/campaigns/{id}/report``: one campaign's report, as charts and tables.

The numbers are :func:`mailer.events.report.campaign_report`'s (what ``newsletter report
--json`` prints) and :func:`mailer.events.timeline.first_days`'s; each chart
(:mod:`.charts`) sits beside a table of the same numbers. Bounces are shown by SendGrid's
classification too; machine opens (privacy proxies) are shown apart, never as opens; clicks
are added up per story (:mod:`.stories`).

Counting a 1,000,000-recipient campaign takes a few hundred milliseconds even from the indexes
alone (``bench/console.py``), so the numbers of a campaign that has finished sending (sent,
cancelled or failed: its deliveries no longer change) are kept for :data:`KEEP` (a few
seconds) and shared by everyone who opens the report meanwhile; events still arrive, so the
page says how old its numbers are. A sending or paused campaign's report is always counted
afresh. The counting runs in a worker thread, off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailer.content.issue import Issue, find_issue, load_issue
from mailer.errors import MailerError
from mailer.events.report import CampaignReport, campaign_report
from mailer.events.timeline import Day, first_days
from mailer.send.campaigns import Campaign, get_campaign
from mailer.send.states import CampaignState
from mailer.web.pages import Endpoint
from mailer.web.staff.charts import Bar, bar_chart
from mailer.web.staff.console import Console
from mailer.web.staff.sessions import Session
from mailer.web.staff.stories import clicks_per_story

LINKS = 10  # in the chart and table of links
ALL_LINKS = 500  # read to add clicks up per story (an issue has a few dozen links at most)
KEEP = timedelta(seconds=5)  # how long a finished campaign's numbers are kept
FINISHED = (CampaignState.SENT, CampaignState.CANCELLED, CampaignState.FAILED)

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


def charts_for(
    report: CampaignReport, days: tuple[Day, ...], issue: Issue | None = None
) -> dict[str, object]:
    """The report's tables and the charts of the same numbers."""
    reach = _rows(report, REACH)
    trouble = _rows(report, TROUBLE)
    top = report.top_links[:LINKS]
    link_bars = []
    for n, link in enumerate(top, 1):
        link_bars.append(Bar(f"link {n}: people", link.clickers))
        link_bars.append(Bar(f"link {n}: clicks", link.clicks, hatched=True))
    day_bars = []
    for day in days:
        day_bars.append(Bar(f"day {day.number}: clicks", day.clicks))
        day_bars.append(Bar(f"day {day.number}: opens", day.opens, hatched=True))
    reach_bars = [Bar(r.label, r.value, hatched="people" in r.label) for r in reach]
    stories = clicks_per_story(report.top_links, issue)
    return {
        "reach": reach,
        "trouble": trouble,
        "top_links": top,
        "stories": stories,
        "untagged": [row for row in stories if not row.tagged],
        "reach_chart": bar_chart("chart-reach", "Deliveries and responses", reach_bars),
        "trouble_chart": bar_chart(
            "chart-trouble",
            "Bounces, complaints and unsubscribes",
            [Bar(r.label, r.value) for r in trouble],
        ),
        "classes_chart": bar_chart(
            "chart-classes",
            "Bounces by SendGrid's classification (hatched: blocked or expired)",
            _class_bars(report),
        ),
        "stories_chart": bar_chart(
            "chart-stories",
            "Clicks per story",
            [Bar(_short(row.label), row.clicks, hatched=not row.tagged) for row in stories],
        ),
        "links_chart": bar_chart("chart-links", "Clicks per link (hatched: clicks)", link_bars),
        "days_chart": bar_chart("chart-days", "Clicks and opens (hatched) per day", day_bars),
    }


def _class_bars(report: CampaignReport) -> list[Bar]:
    bars = []
    for item in report.bounce_classes:
        bars.append(Bar(f"{item.classification}: hard", item.bounced))
        bars.append(Bar(f"{item.classification}: blocked", item.blocked, hatched=True))
    return bars


def _short(label: str, limit: int = 28) -> str:
    """A chart label that fits beside its bar (the table beside it has it whole)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def issue_of(console: Console, campaign: Campaign) -> Issue | None:
    """The campaign's issue file as it is now, for its story titles; None when it is gone
    or no longer valid (the stories are then named by their slugs)."""
    try:
        return load_issue(find_issue(campaign.issue_id, console.project), console.project)
    except (MailerError, OSError):
        return None


@dataclass(frozen=True, slots=True)
class Counted:
    report: CampaignReport
    days: tuple[Day, ...]
    at: datetime  # when the numbers were counted
    kept: bool = False  # served from the cache of a finished campaign


class KeptReports:
    """The numbers of finished campaigns, each kept for ``keep`` (per web server process)."""

    def __init__(self, keep: timedelta = KEEP) -> None:
        self.keep = keep
        self._kept: dict[tuple[int, str, datetime | None], Counted] = {}

    def get(self, campaign: Campaign, now: datetime) -> Counted | None:
        if campaign.status not in FINISHED:
            return None
        found = self._kept.get(_key(campaign))
        return found if found is not None and now - found.at < self.keep else None

    def put(self, campaign: Campaign, counted: Counted) -> None:
        if campaign.status not in FINISHED:
            return
        self._kept = {k: v for k, v in self._kept.items() if counted.at - v.at < self.keep}
        self._kept[_key(campaign)] = Counted(counted.report, counted.days, counted.at, kept=True)


def _key(campaign: Campaign) -> tuple[int, str, datetime | None]:
    """A campaign sent again after a resolve, or finished anew, is a new entry."""
    return campaign.id, str(campaign.status), campaign.finished_at


def count_report(console: Console, campaign: Campaign) -> Counted:
    """The report's numbers and its first days, counted now."""
    found = campaign_report(console.engine, campaign, links=ALL_LINKS)
    return Counted(found, first_days(console.engine, campaign), console.clock())


def _report(console: Console) -> Endpoint:
    kept = KeptReports()

    @console.guard("view")
    async def report(request: Request, session: Session) -> Response:
        campaign = get_campaign(console.engine, int(request.path_params["id"]))
        if campaign is None:
            raise HTTPException(404)
        counted = kept.get(campaign, console.clock())
        if counted is None:
            counted = await run_in_threadpool(count_report, console, campaign)
            kept.put(campaign, counted)
        issue = await run_in_threadpool(issue_of, console, campaign)
        context = {
            "campaign": campaign,
            "report": counted.report,
            "days": counted.days,
            "counted": counted,
            "keep_seconds": int(kept.keep.total_seconds()),
            **charts_for(counted.report, counted.days, issue),
        }
        return console.render(request, session, "report.html.j2", context)

    return report
