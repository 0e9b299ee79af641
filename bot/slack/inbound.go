package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/moimbot/moimbot/bot"
)

const (
	// maxPending bounds the updates queued and not yet handled, all chats
	// together; beyond it, accepting an update waits.
	maxPending = 1024
	// handlerTimeout bounds the handling of one update.
	handlerTimeout = time.Minute
	// noticeTimeout bounds the ephemeral notice after a tap.
	noticeTimeout = 10 * time.Second
	// maxNotice bounds a tap's notice, in UTF-16 units.
	maxNotice = 2000
	// maxIDLen bounds the parts of an Update's ID taken from a payload.
	maxIDLen = 200
)

// item is an update waiting for the Handler.
type item struct {
	u bot.Update
	// noticeChannel and noticeUser are where a tap's notice goes: the
	// channel where the button was, and the user who tapped it.
	noticeChannel, noticeUser string
}

// inbox queues updates by chat: one chat's in order, different chats' in
// parallel (see bot.ChatQueue). It lives for one Run: its context is
// Run's.
type inbox = bot.ChatQueue[item]

func newInbox(ctx context.Context, a *Adapter) *inbox {
	return bot.NewChatQueue(ctx, maxPending, func(it item) string { return it.u.Chat.ID }, a.handle)
}

// handle calls the Handler, recovering a panic, and shows a tap's notice
// to the user who tapped.
func (a *Adapter) handle(ctx context.Context, it item) {
	var notice string
	func() {
		defer func() {
			if r := recover(); r != nil {
				notice = ""
				a.log.Error("slack: handler panicked",
					"update_id", it.u.ID, "chat", it.u.Chat.String(),
					"panic", a.sanitize(fmt.Sprint(r)), "stack", a.sanitize(string(debug.Stack())))
			}
		}()
		// ctx is the queue's: it does not end when Run is told to stop, so
		// an update being handled is finished then, unless the queue's
		// grace (bot.DrainGrace) runs out first; handlerTimeout bounds it.
		hctx, cancel := context.WithTimeout(ctx, handlerTimeout)
		defer cancel()
		notice = a.handler.HandleUpdate(hctx, it.u)
	}()
	if it.u.Tap == nil || notice == "" || it.noticeChannel == "" {
		return
	}
	nctx, cancel := context.WithTimeout(ctx, noticeTimeout)
	defer cancel()
	text := truncateMrkdwn(mrkdwn(notice, 0, len(notice), nil), maxNotice)
	if _, err := a.api.PostEphemeralContext(nctx, it.noticeChannel, it.noticeUser, slack.MsgOptionText(text, false)); err != nil {
		a.log.Warn("slack: tap notice failed", "chat", it.u.Chat.String(), "err", a.sanitize(err.Error()))
	}
}

// mentionPattern matches a user mention as Slack writes it into an escaped
// command's text: <@U123ABC> or <@U123ABC|name>.
var mentionPattern = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)

// slackUnescape undoes Slack's escaping of what users type.
var slackUnescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// commandText turns the text after "/moim" into a command for the shared
// parser: "status 2026-11" → "/status 2026-11", "현황" → "/현황", "" →
// "/help". Mentions become <@U…> without the name, Slack's escaping is
// undone, invalid UTF-8 and control characters become spaces or U+FFFD.
func commandText(text string) string {
	t := strings.ToValidUTF8(text, "\uFFFD")
	t = mentionPattern.ReplaceAllString(t, "<@$1>")
	t = slackUnescape.Replace(t)
	t = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, t)
	t = strings.TrimSpace(t)
	switch {
	case t == "":
		return "/help"
	case strings.HasPrefix(t, "/"), strings.HasPrefix(t, "／"):
		return t
	}
	return "/" + t
}

// clean makes a payload's string safe to carry: valid UTF-8, at most
// maxIDLen bytes (cut at a rune boundary).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxIDLen {
		return s
	}
	cut := maxIDLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// updateID returns "slack:<trigger id>", stable across Slack's
// redeliveries; a payload without a trigger id is named by its hash.
func updateID(trigger string, raw []byte) string {
	if t := clean(trigger); t != "" {
		return "slack:" + t
	}
	sum := sha256.Sum256(raw)
	return "slack:h:" + hex.EncodeToString(sum[:16])
}

// place sets u's chat: a direct message (a D… channel, or Slack's
// channel name "directmessage") is the user's ChatRef with Private set;
// a channel is its own ChatRef, titled with its name.
func place(u *bot.Update, channelID, channelName string) {
	if strings.HasPrefix(channelID, "D") || channelName == "directmessage" {
		u.Private = true
		u.Chat = bot.ChatRef{Platform: Platform, ID: u.From.ID}
		return
	}
	u.Chat = bot.ChatRef{Platform: Platform, ID: channelID}
	if channelName != "privategroup" {
		u.Title = channelName
	}
}

// commandItem makes an update of a slash command: the text after the
// command becomes a command for the shared parser (see commandText). It
// reports false for a payload without a user or channel.
func commandItem(cmd slack.SlashCommand, raw []byte) (item, bool) {
	user, channel := clean(cmd.UserID), clean(cmd.ChannelID)
	if !validID(user) || !validID(channel) {
		return item{}, false
	}
	u := bot.Update{
		ID:   updateID(cmd.TriggerID, raw),
		From: bot.User{Platform: Platform, ID: user, Name: clean(cmd.UserName)},
		Text: commandText(cmd.Text),
	}
	place(&u, channel, clean(cmd.ChannelName))
	return item{u: u}, true
}

// interactionItem makes an update of a click on a button or a menu
// option: a Tap with the button's value (the option's) and the timestamp
// of the message carrying it. It reports false for other interactions
// and for payloads without a user, channel or value.
func interactionItem(cb slack.InteractionCallback, raw []byte) (item, bool) {
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		return item{}, false
	}
	act := cb.ActionCallback.BlockActions[0]
	if act == nil {
		return item{}, false
	}
	data := act.Value
	if data == "" {
		data = act.SelectedOption.Value
	}
	data = strings.ToValidUTF8(data, "\uFFFD")
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	channel, user := clean(channel), clean(cb.User.ID)
	if data == "" || !validID(user) || !validID(channel) {
		return item{}, false
	}
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	name := cb.User.Name
	if name == "" {
		name = cb.User.Username
	}
	u := bot.Update{
		ID:   updateID(cb.TriggerID, raw),
		From: bot.User{Platform: Platform, ID: user, Name: clean(name)},
		Tap:  &bot.Tap{Data: data, Message: clean(ts)},
	}
	place(&u, channel, clean(cb.Channel.Name))
	return item{u: u, noticeChannel: channel, noticeUser: user}, true
}

// validID reports whether s looks like a Slack id.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// accept queues it unless its update was handled already; false if it
// should have been queued and was not.
func (a *Adapter) accept(ctx context.Context, in *inbox, it item) bool {
	if !a.seen.add(it.u.ID) {
		a.log.Debug("slack: duplicate update ignored", "update_id", it.u.ID)
		return true
	}
	if in.Add(ctx, it) {
		return true
	}
	a.seen.remove(it.u.ID) // not handled: a redelivery may try again
	return false
}

// seenCapacity bounds the ids seenSet remembers.
const seenCapacity = 4096

// seenSet remembers the last ids added, up to its capacity. It is safe
// for concurrent use.
type seenSet struct {
	mu   sync.Mutex
	ids  map[string]int // id → its slot in ring
	ring []string
	next int
}

func newSeenSet(capacity int) *seenSet {
	return &seenSet{ids: make(map[string]int, capacity), ring: make([]string, capacity)}
}

// add records id and reports whether it was new.
func (s *seenSet) add(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = s.next
	s.next = (s.next + 1) % len(s.ring)
	return true
}

// remove forgets id and frees its slot, so that the id added again is not
// forgotten early when the ring comes back to the old slot.
func (s *seenSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.ids[id]; ok {
		s.ring[i] = ""
		delete(s.ids, id)
	}
}
