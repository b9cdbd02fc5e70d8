"""Deterministic seed content for a throwaway Redmine: projects, issues, wiki.

Everything here is plain data built from templates (components x symptoms x
fixes for bugs, components x capabilities for features, components x
questions for support), so retrieval has meaningful text to find, and the
same seed always yields the same content. `seed.py` sends it over REST;
`seed.py bulk` hands it to `bulk.rb`.

Text uses Textile, Redmine 5.0's default formatting (as on redmine.org).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

SEED = 20240501

# (identifier, name, parent identifier, is_public, modules, components, issue count)
PROJECTS = [
    (
        "atlas",
        "Atlas Platform",
        None,
        True,
        ["issue_tracking", "wiki", "files"],
        [
            "LDAP authentication",
            "REST API",
            "Full-text search",
            "Email notifications",
            "PDF export",
            "CSV import",
            "Wiki editor",
            "Attachment storage",
            "Background job queue",
            "Session handling",
            "Gantt chart",
            "Webhooks",
        ],
        140,
    ),
    (
        "atlas-mobile",
        "Atlas Mobile",
        "atlas",
        True,
        ["issue_tracking", "wiki"],
        [
            "iOS app",
            "Android app",
            "Push notifications",
            "Offline sync",
            "Mobile SSO login",
            "Photo upload",
        ],
        70,
    ),
    (
        "billing",
        "Billing Internal",
        None,
        False,
        ["issue_tracking", "wiki"],
        [
            "Invoice generator",
            "Payment gateway",
            "VAT calculation",
            "Subscription renewals",
            "Refund workflow",
            "Dunning emails",
        ],
        70,
    ),
    (
        "legacy-ops",
        "Legacy Ops",
        None,
        True,
        ["issue_tracking"],
        ["Backup scripts", "Nagios checks", "Log rotation"],
        20,
    ),
]

# (subject template, actual behaviour, root cause, fix)
SYMPTOMS = [
    (
        "{c} fails with timeout {t}",
        "Requests hang for about 30 seconds and then fail with a gateway timeout.",
        "The {c} client opened a new connection for every request and never set a "
        "read timeout, so one slow upstream call blocked all worker threads.",
        "Added a bounded connection pool with a 5 second read timeout and retries "
        "with exponential backoff. Timeouts are now logged with the upstream host.",
    ),
    (
        "{c} returns 500 Internal Server Error {t}",
        "The page shows 'Internal error' and the log has NoMethodError: undefined "
        "method `name' for nil:NilClass.",
        "Records whose owner was deleted still reference the old user id; {c} "
        "assumed the association is always present.",
        "Fall back to the anonymous user when the owner is missing, and added a "
        "migration that re-links orphaned records. Regression test added.",
    ),
    (
        "Memory usage of {c} grows until the worker is OOM-killed",
        "Resident memory of the worker grows by roughly 200 MB per hour until the "
        "kernel OOM killer terminates it.",
        "{c} kept every parsed document in a class-level Hash used as a cache, "
        "which was never evicted.",
        "Replaced the Hash with an LRU cache bounded to 1,000 entries and added a "
        "memory ceiling metric to the dashboard.",
    ),
    (
        "{c} creates duplicate records when a request is retried",
        "After a network hiccup the same entry appears two or three times.",
        "The client retries POST requests after a timeout, and {c} had no "
        "idempotency check, so each retry inserted a new row.",
        "Requests now carry an idempotency key; a unique index on (key, project_id) "
        "rejects replays, and the original response is returned.",
    ),
    (
        "{c} shows wrong dates around the daylight saving change",
        "Entries created between 02:00 and 03:00 on the DST weekend show the previous day.",
        "{c} converted timestamps with the server's local time zone instead of UTC "
        "before storing them.",
        "Timestamps are stored in UTC and converted with the user's time zone only "
        "in the view. Existing rows were corrected by a data migration.",
    ),
    (
        "Non-ASCII characters are garbled in {c}",
        "Umlauts and Japanese text show up as mojibake such as 'MÃ¼ller'.",
        "{c} read input with the platform default encoding (ISO-8859-1) instead of UTF-8.",
        "Force UTF-8 on read and write, and emit a byte order mark for files meant "
        "for Excel. Added fixtures with German, Japanese and emoji text.",
    ),
    (
        "Intermittent deadlock in {c} under concurrent load",
        "Under load about one request in five hundred fails with "
        "'Deadlock found when trying to get lock'.",
        "Two code paths in {c} locked the same rows in opposite order.",
        "Rows are now always locked in ascending id order, and the transaction is "
        "retried once on a deadlock error.",
    ),
    (
        "{c} exposes data of private projects to non-members",
        "A user without membership can see entries of a private project.",
        "The query behind {c} did not apply the project visibility scope.",
        "Applied the visibility scope in the query object and added permission "
        "tests for anonymous, non-member and member users.",
    ),
    (
        "{c} is very slow with more than 10,000 rows",
        "Loading takes over 20 seconds for large projects; the database shows "
        "thousands of small queries.",
        "{c} issued one query per row to load the author (N+1 queries).",
        "Eager-load authors and add a composite index on (project_id, updated_on). "
        "Load time dropped from 21 s to 0.4 s.",
    ),
    (
        "{c} crashes when the uploaded file is empty",
        "Uploading a zero-byte file shows a stack trace instead of an error message.",
        "{c} divided by the file size to compute progress.",
        "Empty files are now rejected with a validation message; the progress "
        "computation handles zero sizes.",
    ),
]

TRIGGERS = [
    "after upgrade to 5.0",
    "after enabling HTTPS",
    "after the PostgreSQL 15 migration",
    "under Monday morning peak load",
    "for users with more than 50 projects",
    "behind the new load balancer",
]

# (subject template, user story, design note)
CAPABILITIES = [
    (
        "Allow bulk editing in {c}",
        "As a project manager I want to change many entries at once in {c}, so "
        "that cleaning up after a release does not take an afternoon.",
        "Reuse the bulk edit form; changes are applied in one transaction and journaled per entry.",
    ),
    (
        "Add an audit log for {c}",
        "As an administrator I need to know who changed what in {c} and when, "
        "for our ISO 27001 audit.",
        "Write an audit row per change with actor, old and new value; retention "
        "is configurable, default 400 days.",
    ),
    (
        "Expose {c} settings through the REST API",
        "As an integrator I want to read and change {c} settings over the API "
        "instead of clicking through the admin UI.",
        "Read access for all admins, write access behind a new permission; "
        "responses follow the existing JSON conventions.",
    ),
    (
        "Make retry limits of {c} configurable",
        "As an operator I want to tune how often {c} retries failed calls, "
        "because the fixed 10 retries overload the upstream during incidents.",
        "New settings max_retries and backoff_base with safe defaults; a circuit "
        "breaker opens after 5 consecutive failures.",
    ),
    (
        "Export {c} data as CSV",
        "As a team lead I want a CSV export of {c} so I can build reports in a spreadsheet.",
        "Stream the CSV to keep memory flat; columns follow the current query.",
    ),
    (
        "Add keyboard shortcuts to {c}",
        "As a power user I want shortcuts for the common actions in {c}.",
        "Shortcuts are listed under '?' and can be disabled in the preferences.",
    ),
]

# (subject template, question, answer)
QUESTIONS = [
    (
        "How do I reset the configuration of {c}?",
        "We changed several options of {c} during testing and want to go back to the defaults.",
        "Open Administration > Settings, select the {c} tab and use 'Reset to "
        "defaults'. The old values stay in the audit log.",
    ),
    (
        "{c}: where are the logs?",
        "We need the logs of {c} for an incident review but cannot find them.",
        "They are written to log/production.log with the tag [{c}]; on the "
        "hosted plan, request them from the support portal.",
    ),
    (
        "What are the rate limits of {c}?",
        "Our integration gets HTTP 429 from {c} during the nightly import.",
        "The limit is 600 requests per minute per API key. Spread the import or "
        "request a higher quota; the Retry-After header says when to retry.",
    ),
    (
        "How to migrate {c} data to a new server",
        "We are moving to new hardware and want to keep all {c} data.",
        "Stop the service, copy the database with the backup tool, copy the "
        "files directory, then run the migration task on the new server.",
    ),
]

# Final status of issue i is STATUS_CYCLE[i % 20]: every status in every project.
STATUS_CYCLE = (
    ["New"] * 4
    + ["In Progress"] * 3
    + ["Resolved"] * 3
    + ["Feedback"] * 2
    + ["Closed"] * 6
    + ["Rejected"] * 2
)
STATUS_CYCLE = [STATUS_CYCLE[(i * 7) % 20] for i in range(20)]

IMPACTS = ["Low", "Medium", "High", "Critical"]

USERS = [
    # login, firstname, lastname, role per project
    ("alice", "Alice", "Novak", "Manager"),
    ("bob", "Bob", "Keller", "Developer"),
    ("carol", "Carol", "Ibarra", "Reporter"),
]
# carol is not a member of the private project.
MEMBERSHIPS = {
    "atlas": ["alice", "bob", "carol"],
    "atlas-mobile": ["alice", "bob", "carol"],
    "billing": ["alice", "bob"],
    "legacy-ops": ["alice", "bob"],
}


@dataclass
class Step:
    """One update of an issue: a journal (notes and/or field changes)."""

    user: str
    notes: str = ""
    private: bool = False
    fields: dict = field(default_factory=dict)


@dataclass
class IssueSpec:
    key: str
    project: str
    tracker: str
    subject: str
    description: str
    status: str
    priority: str
    author: str
    impact: str
    affected_version: str
    is_private: bool = False
    steps: list[Step] = field(default_factory=list)
    duplicate_of: str | None = None


def _bug(c: str, sym: tuple, trigger: str, n: int, where: str) -> tuple[str, str, list]:
    subject = sym[0].format(c=c, t=trigger)
    description = (
        f"h3. Steps to reproduce\n\n# Open {c} in {where}\n"
        f"# Repeat the usual workflow {trigger}\n\n"
        f"h3. Expected\n\n{c} works as before.\n\n"
        f"h3. Actual\n\n{sym[1]}\n\nSeen on 3 of 4 production nodes (ticket ref CS-{4100 + n})."
    )
    cause = "Root cause: " + sym[2].format(c=c)
    fix = "Fixed: " + sym[3] + f" See commit r{18000 + n * 7}."
    return subject, description, [cause, fix]


def _feature(c: str, cap: tuple, n: int) -> tuple[str, str, list]:
    subject = cap[0].format(c=c)
    description = (
        f"h3. User story\n\n{cap[1].format(c=c)}\n\n"
        "h3. Acceptance criteria\n\n* Works for projects with 10,000 entries\n"
        "* Covered by functional tests\n* Documented in the admin guide"
    )
    design = "Design: " + cap[2]
    done = f"Implemented in r{19000 + n * 5}; documented on the wiki."
    return subject, description, [design, done]


def _support(c: str, q: tuple, n: int) -> tuple[str, str, list]:
    subject = q[0].format(c=c)
    description = q[1].format(c=c) + f"\n\nCustomer: account #{7200 + n}."
    answer = "Answer: " + q[2].format(c=c)
    return subject, description, [answer, "Customer confirmed, thanks!"]


def _topics(components: list[str], rng: random.Random):
    bugs = list(itertools.product(components, SYMPTOMS))
    feats = list(itertools.product(components, CAPABILITIES))
    sups = list(itertools.product(components, QUESTIONS))
    for pool in (bugs, feats, sups):
        rng.shuffle(pool)
    # The first bug of Atlas is the LDAP timeout (it gets the log attachment).
    first = (components[0], SYMPTOMS[0])
    if first[0] == "LDAP authentication":
        bugs.remove(first)
        bugs.append(first)
    return bugs, feats, sups


def _steps(status: str, notes: list[str], i: int, members: list[str]) -> list[Step]:
    dev = "bob"
    mgr = "alice"
    steps: list[Step] = []
    if status == "New":
        if i % 2:
            steps.append(Step(dev, "Confirmed on staging, same behaviour as described."))
    elif status == "In Progress":
        steps.append(Step(mgr, "", fields={"status": "In Progress", "assigned_to": dev}))
        steps.append(Step(dev, notes[0]))
    elif status == "Feedback":
        steps.append(
            Step(
                mgr,
                "Could you attach the log excerpt and the exact version? We cannot "
                "reproduce it yet.",
                fields={"status": "Feedback"},
            )
        )
    elif status == "Rejected":
        steps.append(
            Step(
                mgr,
                "Works as designed: the behaviour follows the documented configuration. Closing.",
                fields={"status": "Rejected"},
            )
        )
    else:  # Resolved, Closed
        steps.append(Step(mgr, notes[0], fields={"status": "In Progress", "assigned_to": dev}))
        steps.append(Step(dev, notes[1], fields={"status": "Resolved", "done_ratio": 100}))
        if status == "Closed":
            steps.append(Step(mgr, "", fields={"status": "Closed"}))  # pure field change
    if i % 8 == 3:
        steps.append(
            Step(
                mgr,
                "Internal: customer Globex is affected; do not mention the "
                "workaround publicly before the security review.",
                private=True,
            )
        )
    if i % 15 == 7:
        steps.append(Step(mgr, "", fields={"priority": "High"}))  # pure field change
    if "carol" in members and i % 11 == 5:
        steps.append(Step("carol", "Still seeing this on my machine with the latest build."))
    return steps


def issues() -> list[IssueSpec]:
    """All issues of the REST seed, in creation order (300 in total)."""
    rng = random.Random(SEED)
    specs: list[IssueSpec] = []
    n = 0
    for ident, name, _parent, _public, _mods, components, count in PROJECTS:
        bugs, feats, sups = _topics(components, rng)
        members = MEMBERSHIPS[ident]
        for i in range(count):
            n += 1
            kind = i % 10
            if kind < 5 and bugs:
                c, sym = bugs.pop()
                subject, desc, notes = _bug(c, sym, TRIGGERS[(n - 1) % len(TRIGGERS)], n, name)
                tracker = "Bug"
            elif kind < 8 and feats:
                c, cap = feats.pop()
                subject, desc, notes = _feature(c, cap, n)
                tracker = "Feature"
            else:
                c, q = sups.pop()
                subject, desc, notes = _support(c, q, n)
                tracker = "Support"
            status = STATUS_CYCLE[i % 20]
            author = "carol" if tracker == "Support" and "carol" in members else "alice"
            spec = IssueSpec(
                key=f"{ident}-{i}",
                project=ident,
                tracker=tracker,
                subject=subject,
                description=desc,
                status=status,
                priority=["Low", "Normal", "Normal", "High", "Urgent"][n % 5],
                author=author,
                impact=IMPACTS[n % 4],
                affected_version=f"{4 + n % 2}.{n % 4}.{n % 7}",
                is_private=(ident == "atlas" and i == 13) or (ident == "billing" and i % 25 == 4),
                steps=_steps(status, notes, i, members),
            )
            if spec.is_private:
                # Developers and reporters see only public (or their own)
                # issues with Redmine's default roles: the manager writes.
                for step in spec.steps:
                    step.user = "alice"
            specs.append(spec)
    _add_duplicates(specs)
    _add_description_changes(specs)
    return specs


def _add_duplicates(specs: list[IssueSpec]) -> None:
    """Turn some later bugs into re-reports of earlier ones (relation: duplicates)."""
    by_project: dict[str, list[IssueSpec]] = {}
    for s in specs:
        by_project.setdefault(s.project, []).append(s)
    for ident, count in (("atlas", 3), ("atlas-mobile", 2), ("billing", 1)):
        items = by_project[ident]
        bugs = [s for s in items[:40] if s.tracker == "Bug" and not s.is_private]
        later = [s for s in items[60:] if s.tracker == "Bug" and not s.is_private]
        for orig, dup in zip(bugs[:count], later[:count], strict=True):
            dup.subject = f"{orig.subject} (reported again)"
            dup.description = (
                "Reported again by another team.\n\n" + orig.description.split("h3. Actual")[0]
            )
            dup.status = "Closed"
            dup.duplicate_of = orig.key
            dup.steps = [
                Step(
                    "alice",
                    f"Duplicate of the earlier report: {orig.subject}.",
                    fields={"status": "Closed"},
                ),
            ]


def _add_description_changes(specs: list[IssueSpec]) -> None:
    for s in specs[5::40]:
        s.steps.append(
            Step(
                "alice",
                "Updated the description with the affected versions.",
                fields={
                    "description": s.description
                    + f"\n\nh3. Affected versions\n\n{s.affected_version} and later."
                },
            )
        )


LDAP_LOG = """2024-04-29 09:14:02 ERROR [LdapAuth] bind to ldap://dc1.example.test:389 failed
Net::LDAP::Error: Connection timed out - user specified timeout
  lib/redmine/ldap.rb:48:in `authenticate'
  app/models/auth_source_ldap.rb:61:in `authenticate'
2024-04-29 09:14:32 WARN  [LdapAuth] falling back to next server dc2.example.test
"""

WIKI = {
    "atlas": [
        (
            "Wiki",
            None,
            "h1. Atlas Platform\n\nWelcome to the Atlas developer wiki.\n\n"
            "h2. Start here\n\n* [[Installation]]\n* [[Architecture]]\n* [[Runbooks]]\n* [[FAQ]]",
        ),
        (
            "Installation",
            "Wiki",
            "h1. Installation\n\nh2. Requirements\n\n* Ruby 3.1\n"
            "* PostgreSQL 15 or SQLite for development\n\nh2. Steps\n\n# Clone the repository\n"
            "# Run @bundle install@\n# Run @rake db:migrate@\n\nh2. Troubleshooting\n\n"
            "If LDAP login times out after an upgrade, set @ldap_timeout: 5@ in configuration.yml.",
        ),
        (
            "Architecture",
            "Wiki",
            "h1. Architecture\n\nAtlas is a Rails monolith with a "
            "background job queue.\n\nh2. Components\n\n* [[Search pipeline]]\n"
            "* [[Authentication]]\n\nh2. Data flow\n\nRequests pass the load balancer, the app "
            "servers and the job queue; attachments live on shared storage.",
        ),
        (
            "Search_pipeline",
            "Architecture",
            "h1. Search pipeline\n\nh2. Indexing\n\n"
            "Every saved issue enqueues an indexing job. Documents are split by heading.\n\n"
            "h2. Querying\n\nQueries combine full-text matches with recency.\n\n"
            "h3. Known limits\n\nIndexing lags by up to a minute under peak load.",
        ),
        (
            "Authentication",
            "Architecture",
            "h1. Authentication\n\nh2. LDAP\n\nLDAP binds use "
            "a 5 second timeout and fail over to the second domain controller.\n\n"
            "h2. SSO\n\nSAML single sign-on is available for the mobile apps.",
        ),
        (
            "Runbooks",
            "Wiki",
            "h1. Runbooks\n\nOperational procedures.\n\n"
            "* [[Incident response]]\n* [[Release process]]",
        ),
        (
            "Incident_response",
            "Runbooks",
            "h1. Incident response\n\nh2. Severity levels\n\n"
            "|_. Level |_. Meaning |\n| S1 | outage |\n| S2 | degraded |\n\nh2. First steps\n\n"
            "# Acknowledge the page\n# Open an incident issue\n# Post status updates every 30 min",
        ),
        (
            "LDAP_outage",
            "Incident_response",
            "h1. LDAP outage\n\nh2. Symptoms\n\nLogins fail "
            "with 'Connection timed out' in the LDAP log.\n\nh2. Mitigation\n\nSwitch "
            "authentication to the secondary domain controller and raise the timeout.",
        ),
        (
            "Release_process",
            "Runbooks",
            "h1. Release process\n\nh2. Before the release\n\n"
            "* Freeze the branch\n* Run the full test suite\n\nh2. After the release\n\n"
            "* Announce on the mailing list\n* Close the version",
        ),
        (
            "FAQ",
            "Wiki",
            "h1. FAQ\n\nh2. Why are closed issues missing from the API list?\n\n"
            "The issues endpoint returns open issues unless @status_id=*@ is given.\n\n"
            "h2. How do I get journals?\n\nRequest a single issue with @include=journals@.",
        ),
    ],
    "atlas-mobile": [
        ("Wiki", None, "h1. Atlas Mobile\n\n* [[Release checklist]]"),
        (
            "Release_checklist",
            "Wiki",
            "h1. Release checklist\n\nh2. iOS\n\n* Bump the build "
            "number\n* Upload to TestFlight\n\nh2. Android\n\n* Sign the bundle\n"
            "* Roll out to 10% first",
        ),
    ],
    "billing": [
        ("Wiki", None, "h1. Billing (internal)\n\n* [[Invoicing rules]]"),
        (
            "Invoicing_rules",
            "Wiki",
            "h1. Invoicing rules\n\nh2. VAT\n\nEU customers are "
            "charged the VAT of their country of residence.\n\nh2. Refunds\n\nRefunds above "
            "500 EUR need approval by finance.",
        ),
    ],
}
