# Loaded into `rails server -u webrick` by redmine.sh (ruby -r FILE).
#
# WEBrick writes a response's headers and body in separate writes and leaves
# Nagle's algorithm on, so on a keep-alive connection the body waits for the
# client's delayed ACK: every response costs ~40 ms extra (measured: GET
# /issues/1.json 54 ms with keep-alive, 10 ms with Connection: close).
# Setting TCP_NODELAY on each accepted socket removes the stall, as puma and
# production servers do.
require 'socket'
require 'webrick'

module RragWebrickNoDelay
  def run(sock)
    begin
      sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
    rescue StandardError
      nil # not a TCP socket: nothing to tune
    end
    super
  end
end

WEBrick::HTTPServer.prepend(RragWebrickNoDelay)
