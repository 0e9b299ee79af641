package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketConn is an open Socket Mode connection.
type socketConn struct {
	ws   *websocket.Conn
	wmu  sync.Mutex // serializes data frames (control frames need no lock)
	done chan struct{}
}

// write sends a text frame; before, it calls sending, if not nil.
func (c *socketConn) write(frame []byte, sending func()) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	if sending != nil {
		sending()
	}
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// envelope is a Socket Mode request the server sent.
type envelope struct {
	id      string
	typ     string
	payload json.RawMessage
	accepts bool
	attempt int
	sent    time.Time // real time of the latest delivery
}

// frame renders the envelope as sent over the socket.
func (e *envelope) frame() []byte {
	f := map[string]any{
		"envelope_id": e.id, "type": e.typ, "payload": e.payload,
		"accepts_response_payload": e.accepts, "retry_attempt": e.attempt, "retry_reason": "",
	}
	if e.attempt > 0 {
		f["retry_reason"] = "timeout"
	}
	b, _ := json.Marshal(f)
	return b
}

// Ack is an acknowledgement the client sent over Socket Mode.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's payload (an immediate response), nil if none.
	Payload json.RawMessage
	// Attempt is the retry_attempt of the delivery acknowledged last
	// before this ack.
	Attempt int
	// Latency is the real time from that delivery to the ack.
	Latency time.Duration
	// Time is the server clock's time of the ack.
	Time time.Time
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket accepts a Socket Mode connection with a ticket from
// apps.connections.open, says hello, pings it and records its acks.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		_ = ws.Close()
		return
	default:
	}
	s.sockets.Add(2)
	s.conns = append(s.conns, c)
	s.mu.Unlock()

	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": DefaultAppID},
		"debug_info":      map[string]any{"host": "slacktest", "approximate_connection_time": 18060},
	})
	if c.write(hello, nil) == nil {
		s.mu.Lock()
		s.opened++
		s.broadcastLocked()
		s.mu.Unlock()
	}
	go s.ping(c)
	s.readAcks(c)
}

// ping pings c every ping interval until it closes.
func (s *Server) ping(c *socketConn) {
	defer s.sockets.Done()
	if s.pingOpen <= 0 {
		<-c.done
		return
	}
	t := time.NewTicker(s.pingOpen)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				return
			}
		}
	}
}

// readAcks records c's frames as acks until the connection fails, then
// forgets c.
func (s *Server) readAcks(c *socketConn) {
	defer s.sockets.Done()
	defer func() {
		s.mu.Lock()
		s.conns = slices.DeleteFunc(s.conns, func(x *socketConn) bool { return x == c })
		close(c.done)
		s.broadcastLocked()
		s.mu.Unlock()
		_ = c.ws.Close()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		received := time.Now()
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, Time: s.now()}
		if e := s.envelopes[a.EnvelopeID]; e != nil {
			ack.Attempt, ack.Latency = e.attempt, received.Sub(e.sent)
		}
		s.acks[a.EnvelopeID] = append(s.acks[a.EnvelopeID], ack)
		s.broadcastLocked()
		s.mu.Unlock()
	}
}

// errNoConnection is Redeliver's error when no client is connected.
var errNoConnection = errors.New("slacktest: no Socket Mode connection")

// deliver sends e over the newest open connection, waiting for one while
// ctx allows.
func (s *Server) deliver(ctx context.Context, e *envelope) error {
	var c *socketConn
	var frame []byte
	err := s.wait(ctx, "a Socket Mode connection", func() bool {
		if len(s.conns) == 0 {
			return false
		}
		c, frame = s.conns[len(s.conns)-1], e.frame()
		return true
	})
	if err != nil {
		return err
	}
	// The latency of the ack counts from the moment the frame is written,
	// not from waiting for the connection's write lock.
	stamp := func() {
		s.mu.Lock()
		e.sent = time.Now()
		s.mu.Unlock()
	}
	if err := c.write(frame, stamp); err != nil {
		return fmt.Errorf("slacktest: send envelope %s: %w", e.id, err)
	}
	return nil
}

// send stores a new envelope and delivers it.
func (s *Server) send(ctx context.Context, typ string, payload []byte, accepts bool) (string, error) {
	s.mu.Lock()
	e := &envelope{id: fmt.Sprintf("env-%06d-%s", s.nextSeqLocked(), randomHex(4)), typ: typ, payload: payload, accepts: accepts}
	s.envelopes[e.id] = e
	s.mu.Unlock()
	return e.id, s.deliver(ctx, e)
}

// SendEnvelope sends an envelope of any type with payload, for what the
// other helpers do not build; it waits for a client to be connected while
// ctx allows, and returns the envelope's id.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload json.RawMessage) (string, error) {
	return s.send(ctx, typ, payload, false)
}

// SlashCommand sends a slash_commands envelope: user typed "/moim text"
// in channel (a C…, G… or D… id; see DM). It waits for a client to be
// connected while ctx allows, and returns the envelope's id. text is
// escaped as Slack escapes it (&, <, >).
func (s *Server) SlashCommand(ctx context.Context, user, channel, text string) (string, error) {
	payload, err := json.Marshal(s.commandFields(user, channel, text))
	if err != nil {
		return "", err
	}
	return s.send(ctx, "slash_commands", payload, true)
}

// Click sends an interactive envelope: user clicked, in the bot's message
// messageTS in channel, the button whose value is value, or picked the
// static_select option with that value. The message must exist and carry
// such a button or option.
func (s *Server) Click(ctx context.Context, user, channel, messageTS, value string) (string, error) {
	payload, err := s.blockActions(user, channel, messageTS, value)
	if err != nil {
		return "", err
	}
	return s.send(ctx, "interactive", payload, false)
}

// Redeliver sends envelope id again with retry_attempt increased, as Slack
// does when an ack is late. A client must be connected.
func (s *Server) Redeliver(id string) error {
	s.mu.Lock()
	e := s.envelopes[id]
	connected := len(s.conns) > 0
	if e != nil {
		e.attempt++
	}
	s.mu.Unlock()
	switch {
	case e == nil:
		return fmt.Errorf("slacktest: no envelope %s", id)
	case !connected:
		return errNoConnection
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.deliver(ctx, e)
}

// WaitAck blocks until envelope id has been acknowledged and returns the
// first ack.
func (s *Server) WaitAck(ctx context.Context, id string) (Ack, error) {
	acks, err := s.WaitAcks(ctx, id, 1)
	if err != nil {
		return Ack{}, err
	}
	return acks[0], nil
}

// WaitAcks blocks until envelope id has been acknowledged n times and
// returns the first n acks.
func (s *Server) WaitAcks(ctx context.Context, id string, n int) ([]Ack, error) {
	var got []Ack
	err := s.wait(ctx, fmt.Sprintf("%d acks of %s", n, id), func() bool {
		got = slices.Clone(s.acks[id])
		return len(got) >= n
	})
	if err != nil {
		return nil, err
	}
	return got[:n], nil
}

// DropConnections closes every Socket Mode connection abruptly, without a
// close frame, as a network failure would, and returns how many there
// were. Clients are expected to reconnect.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.NetConn().Close()
	}
	return len(conns)
}

// Disconnect sends Slack's disconnect request ("refresh_requested") over
// every connection; clients are expected to open a new one.
func (s *Server) Disconnect() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	frame := []byte(`{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"slacktest"}}`)
	for _, c := range conns {
		_ = c.write(frame, nil)
	}
}

// WaitConnected blocks until n Socket Mode connections have been opened in
// all (hello sent) and one is open now.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.wait(ctx, fmt.Sprintf("Socket Mode connection %d", n), func() bool {
		return s.opened >= n && len(s.conns) > 0
	})
}
