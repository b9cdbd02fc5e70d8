"""The text of the offline demo tracker: families of issues a small company reports.

Each family is one area of one project with one main problem, reported several times
in different words; after ``~`` come other problems of the same area. A family starts
with ``## project | tracker | query`` (the query is how a user would ask, a labelled
query whose answers are the main problem's reports). Then one subject per line
(``= `` marks a near-duplicate of the first report, ``! `` a private report), ``> ``
the main problem's symptoms (issue descriptions) and ``+ `` the notes people added.
:mod:`rrag.ops.demo` turns this into store rows; nothing here is random.
"""

from __future__ import annotations

from typing import NamedTuple

PROJECTS = ((1, "helpdesk", "Helpdesk"), (2, "webshop", "Web shop"), (3, "infra", "Infrastructure"))

TRACKER = """
## helpdesk | Bug | cannot sign in with ldap after changing my password
LDAP login fails after password change
Users locked out when the directory server is slow
Login page spins forever for accounts synced from Active Directory
= LDAP sign-in broken after password reset
! Bind DN credentials rejected after the service account rotation
New hires cannot log in until their LDAP group is refreshed
~
Single sign-on redirects back to the login form
Account locked after three attempts although the password is right
Password expiry warning shown every day
Login with e-mail address instead of user name does not work
> The LDAP bind times out after 10 seconds and the user sees 'Invalid user or password'.
> It started when the domain controllers moved to the new subnet.
> Local accounts still work; only directory accounts are affected.
+ Raised the LDAP timeout to 30 s on the auth source; logins work again.
+ The service account password had expired, renewed it and updated the auth source.
+ Could not reproduce with a fresh browser session; asking the user for a HAR file.

## helpdesk | Support | printer does not print big pdf files
Print queue stuck on the second floor
Large PDF invoices never come out of the printer
= Printer queue hangs on big PDF jobs
Spooler service crashes when printing scanned contracts
Duplex printing ignored by the accounting printer
~
Scanner sends empty pages to the shared folder
Toner warning shown although the cartridge is new
Label printer in the warehouse prints garbled barcodes
Cannot add the new printer on macOS laptops
> Jobs over roughly 20 MB stay in the queue with status 'printing' forever.
> Restarting the spooler clears the queue until the next large file.
> Smaller documents print normally from the same machine.
+ Updated the printer driver to the vendor's PCL6 version; big files print now.
+ Workaround: print the PDF as an image from the viewer.

## infra | Bug | nightly backup failed because the disk is full
Disk full on the backup server
Nightly database dump aborts with 'No space left on device'
Backup retention job does not delete old archives
= Backup volume at 100 percent again
Snapshot of the file share takes the whole night
~
Restore test of last month's backup fails
Backup job runs into office hours and slows the file share
Offsite copy of the backups not uploaded since Friday
Backup reports success although the dump file is empty
> The /srv/backup volume reached 100 percent and the nightly job exited with code 1.
> Archives older than 30 days are still present although retention is 14 days.
> Monitoring only alerted after the second failed night.
+ The retention cron entry was commented out during the migration; restored it.
+ Added a disk usage alert at 85 percent.
+ Moved the archives of last year to cold storage, 400 GB freed.

## webshop | Bug | searching products on the shop is very slow
Product search takes several seconds
Autocomplete suggestions arrive after the user stopped typing
Category page times out when filtering by brand
= Shop search is slow for every query
Search results page slow after the catalogue import
~
Search finds nothing for misspelt product names
Sorting by price puts products without a price first
Search ignores the colour filter
Product images load slowly on the listing pages
> Response time of /search grew from 200 ms to 6 s since the catalogue import.
> The database shows a sequential scan on the products table for every query.
> Only shoppers are affected; the back office search is fast.
+ Added the missing index on products(name); back to 180 ms.
+ The import disabled the search cache; re-enabled it.

## webshop | Bug | invoice shows the wrong amount of tax
Invoice totals rounded wrong
VAT calculated on the net price after the discount
= Invoice PDF shows the wrong VAT amount
Credit note does not reverse the shipping tax
Cents differ between the order email and the invoice
~
Invoice number sequence has gaps after a failed payment
Reverse charge note missing on invoices to EU companies
Invoice address cannot be changed after ordering
Monthly revenue export contains cancelled orders
> The invoice total is off by one cent on orders with more than three lines.
> Rounding is done per line instead of on the order total.
> The accountants noticed it when reconciling the monthly export.
+ Switched to banker's rounding on the total, as the tax office expects.
+ Regenerated the affected invoices of March and sent corrected copies.

## webshop | Bug | the android app closes right after I open it
Mobile app crashes on start
Android client closes after the splash screen since 3.2
= App crash at launch on Android 14
iOS app freezes when the basket has more than 50 items
Push notification opens a blank screen in the app
~
App login loops back to the start page
Barcode scanner in the app does not focus
App shows prices in the wrong currency abroad
Dark mode makes the order history unreadable
> The app closes immediately after the splash screen; the store reviews mention it.
> The crash log shows a NullPointerException in the session restore.
> Reinstalling the app helps until the next login.
+ Fixed the session restore for users without a saved basket; release 3.2.1.
+ Crash rate back under 0.1 percent after the hotfix.

## helpdesk | Bug | notification emails arrive hours late
Email notifications delayed by hours
Password reset mail arrives after the link expired
= Notification emails come in late during the day
Watchers receive no email for issue updates
Outgoing mail rejected by the provider as spam
~
Notification emails show raw HTML tags
Users receive every notification twice
Replies by email are not added to the issue
Digest emails contain issues from closed projects
> The SMTP queue backs up during office hours; mails arrive two to three hours late.
> The relay limits us to 100 messages per minute.
> Mails sent at night arrive immediately.
+ Mail delivery moved to a background worker with a rate limit below the relay's.
+ Added SPF and DKIM records for the sending domain.

## infra | Bug | a plugin stopped working after we upgraded
Upgrade to 5.1 breaks the time tracking plugin
Custom plugin fails to load after the Ruby update
= Plugin broken after upgrading to 5.1
Theme looks wrong after the upgrade
Database migration fails halfway through the upgrade
~
Attachments missing after moving the files directory
Staging still runs the old version after the deploy
Background jobs stopped after the server upgrade
Search index must be rebuilt after every upgrade
> After the upgrade the server log shows 'uninitialized constant' while loading plugins.
> The plugin's last release supports only the previous major version.
> Rolling back the application restores the plugin.
+ Patched the plugin's init file for the new loader; works on staging.
+ Plugin vendor promised a compatible release next month.

## infra | Feature | turn on two factor authentication for everyone
! Require two-factor authentication for administrators
Allow TOTP apps for two-factor login
Backup codes for users who lose their phone
Enforce 2FA for everyone in the finance group
~
Security keys (WebAuthn) as a second factor
Remember trusted devices for thirty days
Audit log of two-factor enrolments and resets
> The security review asks for a second factor on all privileged accounts.
> Users should be able to enrol with any TOTP app.
> We need a recovery path that does not involve the helpdesk calling the user.
+ Enabled the built-in two-factor setting for the admin group first.
+ Wrote a short how-to for enrolling a phone.

## webshop | Feature | customers want to pay with paypal
Add PayPal as a payment method
Offer payment by invoice for business customers
Support Apple Pay in the checkout
Show the payment methods on the product page
~
Instalment payments for orders over 500 euros
Gift cards as a payment method
Let customers save a card for the next order
> A third of the abandoned baskets stop at the payment step.
> Competitors offer more ways to pay.
> The payment provider supports this through the same API.
+ Sandbox integration works; waiting for the live credentials.
+ Legal checked the terms for payment by invoice.

## infra | Bug | the website certificate expired
TLS certificate expired on the shop domain
Browsers warn about the certificate of the staging site
= SSL certificate of the shop expired again
! Certificate renewal fails for the wildcard domain
~
Mixed content warnings on the shop's blog
Old TLS versions still accepted by the load balancer
HSTS header missing on the customer portal
> Visitors see a certificate warning; the certificate expired last night.
> The automatic renewal failed because the DNS challenge could not be completed.
> Nobody received the expiry reminder emails.
+ Renewed manually and fixed the DNS API token used by the renewal job.
+ Added certificate expiry to the monitoring with a 21-day warning.

## helpdesk | Support | the vpn keeps disconnecting when working from home
VPN drops every few minutes from home offices
Cannot reach the file share over the VPN
VPN client asks for the password on every reconnect
Video calls stutter while the VPN is connected
~
New laptops cannot install the VPN client
VPN connects but internal host names do not resolve
Remote desktop to the office PC is very slow
> The tunnel drops after a few minutes and reconnects on its own.
> Only users behind certain home routers are affected.
> Split tunnelling is disabled, so all traffic goes through the office.
+ Lowered the MTU on the VPN profile; connections are stable now.
+ Enabled split tunnelling for the video conferencing service.

## webshop | Bug | stock numbers are wrong after the warehouse sync
Stock levels wrong after the nightly warehouse sync
Sold-out products still shown as available
= Inventory count off after the warehouse import
Duplicate products created by the ERP import
~
Delivery dates shown for products not in stock
Returned items not put back into stock
Bundle products show stock of the wrong component
> The shop shows items in stock that the warehouse reports as sold out.
> The nightly import overwrites reservations made during the day.
> Customers complained about cancelled orders.
+ The import now subtracts open reservations before writing stock levels.
+ Added a report comparing shop and warehouse stock every morning.

## infra | Support | the server is running out of memory
Application server swapping during peak hours
Out of memory kills the background workers
Memory usage grows until the weekly restart
= App server runs out of memory at lunchtime
~
CPU at 100 percent after the log rotation
Disk I/O spikes every hour on the database host
Cron jobs overlap and fight for the same lock
> The OOM killer stops the worker processes around noon.
> Memory grows by about 200 MB per hour and never shrinks.
> The machine has 8 GB and no swap limit.
+ Workers now restart after 1000 jobs, which keeps memory flat.
+ Found the leak in the PDF export cache; fix deployed.

## helpdesk | Feature | export the issue list to excel
Export filtered issue lists to Excel
CSV export should include custom fields
Scheduled weekly report of open issues by email
~
Gantt chart export to PDF cuts off long projects
Time entries report grouped by customer
Dashboard with open issues per team
> Team leads copy the issue list into spreadsheets by hand every week.
> The CSV export leaves out custom fields and uses the wrong encoding for umlauts.
> A weekly email would save the copying altogether.
+ The CSV export with all columns and UTF-8 with BOM opens correctly in Excel.

## webshop | Bug | the checkout page does not load on safari
Checkout button does nothing in Safari
Address form loses input on the back button
Coupon code field rejects valid codes
= Checkout broken in Safari on the Mac
~
Shipping costs change after entering the postcode
Order confirmation page shows an empty basket
Terms and conditions checkbox not readable on phones
> Clicking 'Buy now' in Safari does nothing; other browsers work.
> The browser console shows a script error in the payment widget.
> Mobile Safari on iPhone is affected too.
+ The payment widget used a regular expression Safari does not support; replaced it.

## infra | Feature | move the database to a managed service
Migrate the production database to the managed cluster
Set up read replicas for reporting queries
Automate failover tests for the database
~
Encrypt database backups at rest
Separate database users for the shop and reporting
Upgrade the database to the next major version
> The self-hosted database needs manual patching every month.
> Reporting queries slow down the shop at month end.
> A managed cluster gives us point-in-time recovery.
+ Migration rehearsal on staging took 40 minutes of downtime.
+ Reporting now reads from the replica.

## helpdesk | Support | the office wifi is slow in the meeting rooms
Wi-Fi in the meeting rooms drops video calls
Guest Wi-Fi password does not work
Laptops do not roam between access points
~
Conference room display does not find laptops
Desk phones lose connection after the switch update
Network port in room 2.14 is dead
> Calls freeze in the large meeting room when more than ten people are connected.
> The access point in that room serves the whole corridor.
> Signal strength is fine; throughput is not.
+ Installed a second access point in the large meeting room.
+ Rotated the guest password and printed new cards for reception.

## helpdesk | Support | new colleague has no laptop or accounts on the first day
Accounts for new employees not ready on the first day
Onboarding checklist misses the building badge
= New starter had no accounts on day one
Laptop for the new developer not set up in time
~
Leavers keep access to the shared mailbox
Request: self-service form for software installs
Name change after marriage not applied everywhere
Interns need temporary accounts for three months
> The new colleague waited until noon for an account and a laptop.
> HR sent the start date to the old helpdesk address, which nobody reads any more.
> The checklist has no owner for the badge and the phone.
+ HR now files onboarding requests here two weeks ahead; we get a reminder.
+ Added the badge and phone steps to the checklist with owners.

## webshop | Feature | send customers a newsletter with their favourite products
Newsletter sign-up in the checkout
Personalised product recommendations in the newsletter
Back-in-stock email for watched products
~
Double opt-in confirmation mail lands in spam
Unsubscribe link leads to a 404 page
Newsletter images too large for mobile mail apps
Discount code for newsletter subscribers
> Marketing wants to reach buyers again with products they looked at.
> Today the newsletter is the same for everyone and the click rate is low.
> Customers ask to be told when a sold-out product is back.
+ The shop's events are exported nightly to the newsletter tool.
+ First personalised mailing doubled the click rate.
"""

#: everyday notes anyone might add to an issue
COMMON_NOTES = (
    "Same here, also seen by two colleagues this morning.",
    "Is there any update on this? The team is blocked.",
    "Assigned to the on-call engineer for this week.",
    "Lowered the priority: a workaround exists.",
    "Closing as the reporter confirmed it works now.",
)


class Family(NamedTuple):
    """One area: where it lives, how people report it, and how a user would ask."""

    project: int
    tracker: str
    query: str
    subjects: tuple[str, ...]  # with their ``=``/``!`` marks and the ``~`` divider
    symptoms: tuple[str, ...]
    notes: tuple[str, ...]


def _family(block: str) -> Family:
    header, *lines = block.strip().splitlines()
    project, tracker, query = (part.strip() for part in header.split("|"))
    ids = {identifier: number for number, identifier, _ in PROJECTS}
    return Family(
        project=ids[project],
        tracker=tracker,
        query=query,
        subjects=tuple(line for line in lines if not line.startswith(("> ", "+ "))),
        symptoms=tuple(line[2:] for line in lines if line.startswith("> ")),
        notes=tuple(line[2:] for line in lines if line.startswith("+ ")),
    )


FAMILIES = tuple(_family(block) for block in TRACKER.split("\n## ") if block.strip())

__all__ = ["COMMON_NOTES", "FAMILIES", "PROJECTS", "Family"]
