# Creates the issue custom fields of the seed (Redmine 5.0's REST API cannot
# create custom fields); run by seed.py through
# `redmine.sh runner DIR custom_fields.rb OUT_JSON`. Idempotent: existing
# fields are kept. Writes {"name": id, ...} to OUT_JSON.
require 'json'

FIELDS = [
  {name: 'Customer impact', field_format: 'list',
   possible_values: %w[Low Medium High Critical], searchable: true},
  {name: 'Affected version', field_format: 'string', searchable: true},
  {name: 'Redmine.org ID', field_format: 'int', searchable: false},
]

ids = {}
FIELDS.each do |attrs|
  cf = IssueCustomField.find_by(name: attrs[:name]) || IssueCustomField.new(attrs)
  if cf.new_record?
    cf.is_for_all = true
    cf.visible = true
    cf.is_filter = true
    cf.trackers = Tracker.all.to_a
    cf.save!
  end
  ids[cf.name] = cf.id
end
File.write(ARGV.fetch(0), JSON.generate(ids))
