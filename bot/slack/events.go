package slack

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/moimbot/moimbot/bot"
)

// eventItem makes an update of a Socket Mode events_api envelope; false
// for events moimbot ignores.
func (a *Adapter) eventItem(evt socketmode.Event) (item, bool) {
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok || evt.Request == nil {
		return item{}, false
	}
	return a.callbackItem(ev, evt.Request.Payload)
}

// callbackItem makes an update of an Events API event_callback: a message
// a person sent the bot in a direct message (see messageItem).
func (a *Adapter) callbackItem(ev slackevents.EventsAPIEvent, raw []byte) (item, bool) {
	if ev.Type != slackevents.CallbackEvent {
		return item{}, false
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb == nil {
		return item{}, false
	}
	m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || m == nil {
		return item{}, false
	}
	return a.messageItem(cb.EventID, m, raw)
}

// messageItem makes an update of a message event (message.im): a person's
// message in their direct message with the bot, plain or sharing a file.
// The text is the message's, Slack's escaping undone; a shared file, the
// first if several, becomes Document (URL: its url_private_download).
// MessageID is the message's timestamp. Messages of bots (the bot's own
// included), edits, deletions and other subtypes, and messages outside
// direct messages, are ignored.
func (a *Adapter) messageItem(eventID string, m *slackevents.MessageEvent, raw []byte) (item, bool) {
	if m.ChannelType != slackevents.ChannelTypeIM && !strings.HasPrefix(m.Channel, "D") {
		return item{}, false
	}
	if m.SubType != "" && m.SubType != "file_share" {
		return item{}, false
	}
	user := clean(m.User)
	if id, ok := a.Identity(); m.BotID != "" || !validID(user) || ok && user == id.UserID {
		return item{}, false
	}
	u := bot.Update{
		ID:        updateID(eventID, raw),
		Chat:      bot.ChatRef{Platform: Platform, ID: user},
		Private:   true,
		From:      bot.User{Platform: Platform, ID: user},
		Text:      messageText(m.Text),
		MessageID: clean(m.TimeStamp),
	}
	if m.Message != nil && len(m.Message.Files) > 0 {
		f := m.Message.Files[0]
		url := f.URLPrivateDownload
		if url == "" {
			url = f.URLPrivate
		}
		u.Document = &bot.Document{
			ID: clean(f.ID), Name: strings.ToValidUTF8(f.Name, "\uFFFD"), MIME: clean(f.Mimetype),
			Size: max(int64(f.Size), 0), URL: strings.ToValidUTF8(url, "\uFFFD"),
		}
	}
	if u.Text == "" && u.Document == nil {
		return item{}, false
	}
	return item{u: u}, true
}

// messageText undoes Slack's escaping of a message's text and drops the
// names from mentions, as commandText does, without making a command of
// it.
func messageText(text string) string {
	t := strings.ToValidUTF8(text, "\uFFFD")
	t = mentionPattern.ReplaceAllString(t, "<@$1>")
	return strings.TrimSpace(slackUnescape.Replace(t))
}

// EventsHandler returns the handler for Events API requests in HTTP mode,
// to be mounted at the app's event request URL (POST /slack/events). It
// checks requests as CommandsHandler does, answers Slack's url_verification
// with its challenge, and queues a message event (a direct message to the
// bot, plain or sharing a file; see the package documentation) for the
// Handler. A redelivered event (same event_id) is answered 200 and
// dropped; other events are acknowledged and ignored.
func (a *Adapter) EventsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveSigned(w, r, "events", func(body []byte) (item, verdict, []byte) {
			var outer struct {
				Type      string `json:"type"`
				Challenge string `json:"challenge"`
			}
			if json.Unmarshal(body, &outer) != nil {
				return item{}, malformed, nil
			}
			if outer.Type == slackevents.URLVerification {
				return item{}, answer, []byte(outer.Challenge)
			}
			ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
			if err != nil {
				return item{}, ignore, nil // an event slack-go cannot decode: not one of ours
			}
			if it, ok := a.callbackItem(ev, body); ok {
				return it, queue, nil
			}
			return item{}, ignore, nil
		})
	})
}
