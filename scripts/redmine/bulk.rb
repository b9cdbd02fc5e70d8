# Bulk-creates issues and journals through Redmine's models (no REST), for
# benchmarks; run by `seed.py bulk` through
# `redmine.sh runner DIR bulk.rb SPEC_JSON OUT_JSON`.
#
# SPEC_JSON: {"project": {"identifier", "name"}, "issues": [{"subject",
#   "tracker", "description", "status", "category", "version",
#   "version_date", "upstream_id", "created_on", "notes": [...]}]}
# OUT_JSON gets {"project_id", "issue_ids", "journals", "mapping":
#   {upstream_id: issue_id}, "seconds"}.
require 'json'

started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
spec = JSON.parse(File.read(ARGV.fetch(0)))
out_path = ARGV.fetch(1)
admin = User.find_by_login!('admin')
statuses = IssueStatus.all.index_by(&:name)
normal = IssuePriority.find_by(name: 'Normal') || IssuePriority.default

def tracker_named(name)
  Tracker.find_by(name: name) || begin
    # e.g. "Patch" from redmine.org's changelog: a tracker of its own, with
    # the workflows of Bug.
    bug = Tracker.find_by!(name: 'Bug')
    t = Tracker.new(name: name, default_status: bug.default_status)
    t.core_fields = bug.core_fields
    t.save!
    t.copy_workflow_rules(bug)
    IssueCustomField.where(is_for_all: true).each { |cf| cf.trackers << t unless cf.trackers.include?(t) }
    t
  end
end

trackers = Hash.new { |h, name| h[name] = tracker_named(name) }
spec['issues'].map { |row| row['tracker'] }.uniq.each { |name| trackers[name] }

p = spec['project']
project = Project.find_by(identifier: p['identifier']) || Project.create!(
  name: p['name'], identifier: p['identifier'], is_public: true,
  enabled_module_names: %w[issue_tracking wiki]
)
project.trackers = Tracker.all.to_a
project.save!
upstream_cf = IssueCustomField.find_by(name: 'Redmine.org ID')

# Categories and versions first: the issue validations read them through
# the project's (cached) associations.
rows = spec['issues']
categories = rows.map { |r| r['category'] }.compact.uniq.to_h do |name|
  [name, IssueCategory.find_or_create_by!(project: project, name: name[0, 60])]
end
versions = rows.select { |r| r['version'] }.map { |r| [r['version'], r['version_date']] }.uniq.to_h do |name, date|
  [name, Version.find_by(project: project, name: name) ||
         Version.create!(project: project, name: name, effective_date: date, status: 'open')]
end
project.reload

issue_ids = []
mapping = {}
journals = 0

rows.each_slice(250) do |batch|
  ActiveRecord::Base.transaction do
    batch.each do |row|
      created = row['created_on'] ? Time.zone.parse(row['created_on']) : Time.now
      issue = Issue.new(project: project, tracker: trackers[row['tracker']], author: admin,
                        subject: row['subject'][0, 255], description: row['description'],
                        status: statuses.fetch('New'), priority: normal)
      issue.category = categories[row['category']] if row['category']
      issue.fixed_version = versions[row['version']] if row['version']
      if upstream_cf && row['upstream_id']
        issue.custom_field_values = {upstream_cf.id.to_s => row['upstream_id'].to_s}
      end
      issue.save!
      last = created # Redmine sets created_on itself; both are set below
      row['notes'].each_with_index do |note, i|
        last = created + (i + 1) * 3600
        Journal.create!(journalized: issue, user: admin, notes: note, created_on: last)
        journals += 1
      end
      status = statuses.fetch(row['status'])
      if status != issue.status
        # The closing journal: a pure field change, as Redmine records it.
        last += 3600
        j = Journal.create!(journalized: issue, user: admin, notes: '', created_on: last)
        j.details.create!(property: 'attr', prop_key: 'status_id',
                          old_value: issue.status_id.to_s, value: status.id.to_s)
        journals += 1
        closed_on = status.is_closed? ? last : nil
        issue.update_columns(status_id: status.id, closed_on: closed_on, created_on: created, updated_on: last)
      else
        issue.update_columns(created_on: created, updated_on: last)
      end
      issue_ids << issue.id
      mapping[row['upstream_id'].to_s] = issue.id if row['upstream_id']
    end
  end
end

File.write(out_path, JSON.generate(
  project_id: project.id, project: project.identifier, issue_ids: [issue_ids.min, issue_ids.max],
  issues: issue_ids.size, journals: journals, mapping: mapping,
  seconds: (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).round(1)
))
