package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// File is a file a user shared with the bot.
type File struct {
	ID, Name, MIME string
	Data           []byte
	// URL is its url_private_download: the server serves it to the bot
	// token and redirects anyone else to a sign-in page, as Slack does.
	URL string
}

// addFileLocked stores a file and returns it.
func (s *Server) addFileLocked(name, mimeType string, data []byte) File {
	id := fmt.Sprintf("F%09d", s.nextSeqLocked())
	f := File{
		ID: id, Name: name, MIME: mimeType, Data: append([]byte(nil), data...),
		URL: s.URL + "/files-pri/" + s.TeamID + "-" + id + "/download/" + pathEscape(name),
	}
	if s.files == nil {
		s.files = map[string]File{}
	}
	s.files[id] = f
	return f
}

func pathEscape(name string) string {
	if name == "" {
		return "file"
	}
	return strings.ReplaceAll(strings.ReplaceAll(name, "/", "_"), "?", "_")
}

// serveFile serves GET /files-pri/<team>-<file id>/[download/]<name> to the
// bot token (an Authorization: Bearer header); anyone else is redirected
// to the sign-in page.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	_, id, _ := strings.Cut(key, "-")
	s.mu.Lock()
	f, ok := s.files[id]
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	authorized := bearer == s.BotToken
	c := Call{Method: "files-pri", Token: s.tokenKind(bearer), Args: map[string]string{"file": id}, Time: s.now(), Status: http.StatusOK}
	switch {
	case !authorized:
		c.Status = http.StatusFound
	case !ok:
		c.Status, c.Error = http.StatusNotFound, "file_not_found"
	}
	s.calls = append(s.calls, c)
	s.broadcastLocked()
	s.mu.Unlock()
	switch {
	case !authorized:
		http.Redirect(w, r, "/signin?redir="+r.URL.Path, http.StatusFound)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", f.MIME)
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
		_, _ = w.Write(f.Data)
	}
}

// serveSignin is Slack's sign-in page, where file downloads without a
// valid token end up.
func serveSignin(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Sign in to Slack</body></html>"))
}

// eventCallbackLocked wraps an inner event as the Events API delivers it.
func (s *Server) eventCallbackLocked(inner map[string]any) []byte {
	n := s.nextSeqLocked()
	b, _ := json.Marshal(map[string]any{
		"token": "verification-token-unused", "team_id": s.TeamID, "api_app_id": DefaultAppID,
		"event": inner, "type": "event_callback",
		"event_id": fmt.Sprintf("Ev%010d", n), "event_time": s.now().Unix(),
		"authorizations": []any{map[string]any{
			"team_id": s.TeamID, "user_id": s.BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomHex(12),
	})
	return b
}

// messageEventLocked is a message.im event: user wrote text, sharing f if
// not nil, in their direct message with the bot.
func (s *Server) messageEventLocked(user, text string, f *File) []byte {
	dm := s.dmLocked(user)
	ts := s.tsLocked()
	inner := map[string]any{
		"type": "message", "text": slackEscape.Replace(text), "user": user, "ts": ts, "event_ts": ts,
		"channel": dm, "channel_type": "im", "client_msg_id": randomHex(16),
	}
	if f != nil {
		inner["subtype"] = "file_share"
		inner["upload"] = false
		inner["files"] = []any{map[string]any{
			"id": f.ID, "name": f.Name, "title": f.Name, "mimetype": f.MIME, "filetype": strings.TrimPrefix(path.Ext(f.Name), "."),
			"size": len(f.Data), "user": user, "mode": "hosted", "is_external": false,
			"url_private": strings.Replace(f.URL, "/download/", "/", 1), "url_private_download": f.URL,
		}}
	}
	return s.eventCallbackLocked(inner)
}

// DirectMessage sends an events_api envelope (message.im): user wrote
// text to the bot in their direct message. It waits for a client to be
// connected while ctx allows, and returns the envelope's id.
func (s *Server) DirectMessage(ctx context.Context, user, text string) (string, error) {
	s.mu.Lock()
	payload := s.messageEventLocked(user, text, nil)
	s.mu.Unlock()
	return s.send(ctx, "events_api", payload, false)
}

// ShareFile stores a file and sends an events_api envelope (message.im,
// subtype file_share): user shared it with the bot in their direct
// message. It returns the envelope's id and the file.
func (s *Server) ShareFile(ctx context.Context, user, name, mimeType string, data []byte) (string, File, error) {
	s.mu.Lock()
	f := s.addFileLocked(name, mimeType, data)
	payload := s.messageEventLocked(user, "", &f)
	s.mu.Unlock()
	id, err := s.send(ctx, "events_api", payload, false)
	return id, f, err
}

// FileShareEvent stores a file and returns the JSON body Slack posts to an
// app's event request URL in HTTP mode when user shares it with the bot.
func (s *Server) FileShareEvent(user, name, mimeType string, data []byte) ([]byte, File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.addFileLocked(name, mimeType, data)
	return s.messageEventLocked(user, "", &f), f
}

// DirectMessageEvent returns the JSON body Slack posts to an app's event
// request URL in HTTP mode when user writes text to the bot.
func (s *Server) DirectMessageEvent(user, text string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messageEventLocked(user, text, nil)
}
