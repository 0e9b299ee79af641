package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/store"
)

// outbox adapts the store's outbox to the dispatcher's bot.Outbox.
type outbox struct{ db *store.DB }

var _ bot.Outbox = outbox{}

// payload is what an outbox message carries besides its text.
type payload struct {
	Buttons [][]bot.Button `json:"buttons,omitempty"`
	// Edit is the platform's id of the message this one replaces.
	Edit string `json:"edit,omitempty"`
	// File is a document sent with the text as its caption (/export).
	File *bot.File `json:"file,omitempty"`
	// Tags link names in the text to chat users (/unpaid's mentions).
	Tags []bot.Tag `json:"tags,omitempty"`
	// Only is the one user meant to see the message (bot.Message.Only).
	Only string `json:"only,omitempty"`
}

// Claim implements bot.Outbox.
func (o outbox) Claim(ctx context.Context, now time.Time, limit int) ([]bot.Message, error) {
	ms, err := o.db.Claim(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	out := make([]bot.Message, 0, len(ms))
	for _, m := range ms {
		bm := bot.Message{ID: m.ID, Key: m.Key, Chat: bot.ChatRef{Platform: m.Chat.Platform, ID: m.Chat.ID},
			Kind: m.Kind, Text: m.Text, Attempt: m.Attempts}
		if len(m.Payload) > 0 {
			var p payload
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				// Deliver the text without its buttons (or file) rather
				// than not at all.
				p = payload{}
			}
			bm.Buttons, bm.Edit, bm.File, bm.Tags, bm.Only = p.Buttons, p.Edit, p.File, p.Tags, p.Only
		}
		out = append(out, bm)
	}
	return out, nil
}

var _ bot.Releaser = outbox{}

// Release implements bot.Releaser: a message handed back unsent (its chat
// is parked, or the platform throttles) is due again at notBefore without
// using up an attempt.
func (o outbox) Release(ctx context.Context, id uint64, notBefore time.Time) error {
	return o.db.Release(ctx, id, notBefore)
}

// MarkSent implements bot.Outbox.
func (o outbox) MarkSent(ctx context.Context, id uint64) error { return o.db.MarkSent(ctx, id) }

// MarkFailed implements bot.Outbox.
func (o outbox) MarkFailed(ctx context.Context, id uint64, retryAfter time.Duration, reason string, permanent bool) (bool, error) {
	var (
		m   store.Message
		err error
	)
	if permanent {
		m, err = o.db.MarkDead(ctx, id, reason)
	} else {
		m, err = o.db.MarkFailed(ctx, id, retryAfter, reason)
	}
	if err != nil {
		return false, err
	}
	return m.State == store.StateDead, nil
}

// outgoing builds a store outbox message from a rendered bot message.
func outgoing(groupID string, m bot.Message) store.OutboxMessage {
	om := store.OutboxMessage{Key: m.Key, GroupID: groupID, Chat: store.ChatRef{Platform: m.Chat.Platform, ID: m.Chat.ID},
		Kind: m.Kind, Text: m.Text}
	if len(m.Buttons) > 0 || m.Edit != "" || m.File != nil || len(m.Tags) > 0 || m.Only != "" {
		raw, err := json.Marshal(payload{Buttons: m.Buttons, Edit: m.Edit, File: m.File, Tags: m.Tags, Only: m.Only})
		if err != nil {
			panic(fmt.Sprintf("marshal buttons: %v", err)) // plain strings and bytes cannot fail
		}
		om.Payload = raw
	}
	return om
}
