# Prepares one throwaway Redmine instance; run by redmine.sh through
# `ruby bin/rails runner instance.rb KEY_FILE [TEMPLATE_FILE]`.
#
# 1. Loads Redmine's default data (trackers, statuses, roles, workflows) when
#    the database has none yet.
# 2. Applies the settings the REST API and the seed rely on (idempotent).
# 3. With TEMPLATE_FILE: snapshots the database there (VACUUM INTO, a
#    consistent copy) *before* any API key exists, so every instance copied
#    from the template gets a key of its own.
# 4. Replaces the admin's API key with a fresh one and writes it to KEY_FILE
#    (mode 600). The key is never printed.
key_file, template_file = ARGV

if Redmine::DefaultData::Loader.no_data?
  Redmine::DefaultData::Loader.load(ENV.fetch('REDMINE_LANG', 'en'))
end

Setting.rest_api_enabled = '1'
# No mail: a throwaway instance has no SMTP server, and notification jobs
# would only fill the log with connection errors.
Setting.notified_events = []
# Textile, as on redmine.org (Redmine 5.0's default, stated explicitly).
Setting.text_formatting = 'textile'
Setting.default_projects_modules = %w[issue_tracking wiki files]
Setting.cross_project_issue_relations = '1'

admin = User.find_by_login!('admin')
admin.must_change_passwd = false
admin.mail_notification = 'none'
admin.save!

# Nothing else is needed for the REST API: an admin bypasses project
# membership, sees private issues and private notes, may set custom fields,
# and gets every status transition (workflows of all roles apply to admins).

if template_file && !template_file.empty?
  Token.where(action: 'api').delete_all
  tmp = "#{template_file}.tmp#{Process.pid}"
  File.delete(tmp) if File.exist?(tmp)
  ActiveRecord::Base.connection.execute("VACUUM INTO #{ActiveRecord::Base.connection.quote(tmp)}")
  File.rename(tmp, template_file)
end

Token.where(user_id: admin.id, action: 'api').delete_all
key = Token.create!(user: admin, action: 'api').value
File.open(key_file, File::WRONLY | File::CREAT | File::TRUNC, 0o600) { |f| f.write(key) }
