package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketRestartMax bounds the wait before Socket Mode is started again
// after slack-go's loop gave up with an error that is not about the token.
const socketRestartMax = time.Minute

// runSocket keeps a Socket Mode connection open until ctx ends, and
// returns nil then; it returns an error when Slack refuses the app token.
// slack-go's RunContext opens the connection (apps.connections.open and a
// WebSocket), reconnects after a drop, a missing ping or Slack's
// disconnect request, and passes envelopes to this loop, which
// acknowledges each at once and then queues its update.
func (a *Adapter) runSocket(ctx context.Context, in *inbox) error {
	wait := time.Second
	for {
		err := a.socketSession(ctx, in)
		a.setConnected(false)
		if ctx.Err() != nil {
			return nil
		}
		msg := a.sanitize(err.Error())
		if permanentAuth(err) {
			return fmt.Errorf("slack: socket mode: %s", msg)
		}
		a.log.Warn("slack: socket mode stopped, starting again", "err", msg, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, socketRestartMax)
	}
}

// socketSession runs slack-go's Socket Mode client until it returns, and
// handles its events meanwhile.
func (a *Adapter) socketSession(ctx context.Context, in *inbox) error {
	sm := socketmode.New(a.api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case evt := <-sm.Events:
			a.onSocketEvent(ctx, sm, in, evt)
		case err := <-errc:
			if err == nil {
				err = errors.New("socket mode client returned")
			}
			return err
		}
	}
}

// onSocketEvent handles one event of the Socket Mode client.
func (a *Adapter) onSocketEvent(ctx context.Context, sm *socketmode.Client, in *inbox, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.setConnected(false)
	case socketmode.EventTypeConnected:
		a.setConnected(true)
		if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok && c.ConnectionCount > 0 {
			a.log.Info("slack: socket mode reconnected", "connection", c.ConnectionCount+1)
		}
	case socketmode.EventTypeConnectionError:
		a.setConnected(false)
		if c, ok := evt.Data.(*slack.ConnectionErrorEvent); ok && c.ErrorObj != nil && ctx.Err() == nil {
			a.log.Warn("slack: socket mode connection failed", "err", a.sanitize(c.ErrorObj.Error()), "attempt", c.Attempt, "retry_in", c.Backoff)
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack: socket mode: the app token was refused")
	case socketmode.EventTypeErrorBadMessage:
		// An envelope slack-go cannot decode (an event of a kind it does
		// not know, say) is acknowledged anyway, or Slack would deliver it
		// again and again.
		if e, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(e.Message, &env) == nil && env.EnvelopeID != "" {
				_ = sm.AckCtx(ctx, env.EnvelopeID, nil)
			}
			a.log.Warn("slack: socket mode: unreadable envelope", "envelope_id", env.EnvelopeID, "err", a.sanitize(e.Cause.Error()))
		}
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
		a.onEnvelope(ctx, sm, in, evt)
	}
}

// onEnvelope acknowledges an envelope, then queues its update unless the
// update was handled before (see accept: Slack redelivers envelopes whose
// ack came late or was lost, with the same payload and so the same update
// id).
func (a *Adapter) onEnvelope(ctx context.Context, sm *socketmode.Client, in *inbox, evt socketmode.Event) {
	req := evt.Request
	if req == nil {
		return
	}
	if err := sm.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("slack: socket mode ack failed", "envelope_id", req.EnvelopeID, "err", a.sanitize(err.Error()))
		}
		return
	}
	var it item
	var ok bool
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		it, ok = commandItem(data, req.Payload)
	case slack.InteractionCallback:
		it, ok = interactionItem(data, req.Payload)
	default:
		it, ok = a.eventItem(evt)
	}
	if !ok {
		return
	}
	if !a.accept(ctx, in, it) && ctx.Err() == nil {
		a.log.Warn("slack: update not queued", "update_id", it.u.ID)
	}
}
