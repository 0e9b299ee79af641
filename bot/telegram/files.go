package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"

	"github.com/moimbot/moimbot/bot"
)

// maxDownload is the largest file the Bot API lets a bot download: getFile
// refuses larger ones with "file is too big".
const maxDownload = 20 << 20

// FetchFile downloads a document a person sent (Update.Document): getFile
// for its file_path, then GET <APIURL>/file/bot<token>/<file_path> with the
// adapter's HTTP client. It implements bot.FileFetcher.
//
// It fails without downloading when the size the update or getFile
// reports is over limit, and stops reading and fails as soon as the body
// turns out larger (it reads at most limit+1 bytes). A file over 20 MB,
// which Telegram does not let bots download, fails with an error saying
// so. Failures that retrying cannot fix (too large, an
// unknown or expired file id, a missing file) wrap bot.ErrPermanent;
// network errors and 5xx answers do not. Error texts start with
// "telegram: fetch file:" and never contain the token.
func (a *Adapter) FetchFile(ctx context.Context, d bot.Document, limit int64) ([]byte, error) {
	switch {
	case d.ID == "":
		return nil, fmt.Errorf("telegram: fetch file: no file id: %w", bot.ErrPermanent)
	case limit <= 0:
		return nil, fmt.Errorf("telegram: fetch file: limit %d is not positive", limit)
	}
	if err := checkSize(d.Size, limit); err != nil {
		return nil, err
	}
	f, err := a.api.GetFile(ctx, &tg.GetFileParams{FileID: d.ID})
	if err != nil {
		if errors.Is(err, tg.ErrorBadRequest) && strings.Contains(err.Error(), "file is too big") {
			return nil, errTooBigForBots
		}
		return nil, a.callError("fetch file: getFile", err)
	}
	if err := checkSize(f.FileSize, limit); err != nil {
		return nil, err
	}
	p, err := filePath(f.FilePath)
	if err != nil {
		return nil, err
	}
	return a.download(ctx, a.apiURL+"/file/bot"+a.token+"/"+p, limit)
}

// errTooBigForBots is FetchFile's error for a file over maxDownload.
var errTooBigForBots = fmt.Errorf("telegram: fetch file: the file is over the %d MB Telegram lets bots download: %w", maxDownload>>20, bot.ErrPermanent)

// checkSize fails when a reported size is over limit or maxDownload; 0 is
// an unknown size.
func checkSize(size, limit int64) error {
	switch {
	case size > limit:
		return fmt.Errorf("telegram: fetch file: the file is %d bytes, over the limit of %d: %w", size, limit, bot.ErrPermanent)
	case size > maxDownload:
		return errTooBigForBots
	}
	return nil
}

// filePath checks getFile's file_path and escapes it for a URL: relative,
// no empty, "." or ".." segments.
func filePath(p string) (string, error) {
	if p == "" {
		return "", errors.New("telegram: fetch file: getFile answered no file path")
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("telegram: fetch file: getFile answered a malformed file path %q", p)
		}
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/"), nil
}

// download GETs u, whose path holds the token, reading at most limit+1
// bytes of the body.
func (a *Adapter) download(ctx context.Context, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, a.downloadError(err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.downloadError(err)
	}
	// Closing the body before its end drops the connection, which stops
	// the transfer.
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("telegram: fetch file: download: %s", resp.Status)
	default: // 401, 404: the file path expired (Telegram keeps it an hour) or never was
		return nil, fmt.Errorf("telegram: fetch file: download: %s: %w", resp.Status, bot.ErrPermanent)
	}
	if resp.ContentLength > limit {
		return nil, tooLong(resp.ContentLength, limit)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		// One allocation: the body and room for ReadFrom to see its end.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, min(limit, math.MaxInt64-1)+1)); err != nil {
		return nil, a.downloadError(err)
	}
	if int64(buf.Len()) > limit {
		return nil, tooLong(-1, limit)
	}
	return buf.Bytes(), nil
}

// tooLong is download's error for a body over limit; n is its length, -1
// if unknown.
func tooLong(n, limit int64) error {
	if n < 0 {
		return fmt.Errorf("telegram: fetch file: download: the file is over the limit of %d bytes: %w", limit, bot.ErrPermanent)
	}
	return fmt.Errorf("telegram: fetch file: download: the file is %d bytes, over the limit of %d: %w", n, limit, bot.ErrPermanent)
}

// downloadError wraps a failed download without the URL, which holds the
// token: the *url.Error is replaced by its cause, and the text is
// sanitized besides.
func (a *Adapter) downloadError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &opError{msg: "telegram: fetch file: download: " + a.sanitize(err.Error()), errs: []error{err}}
}

// DeleteMessage deletes the message with id msg (a decimal message_id) in
// chat with deleteMessage. It implements bot.MessageDeleter. Telegram lets
// a bot delete its own messages, and in a private chat the user's messages
// too, for 48 hours after they were sent. A message the bot may not delete
// ("message can't be deleted") or that is gone ("message to delete not
// found") is an error wrapping bot.ErrPermanent; network errors and 5xx
// answers are not. Error texts start with "telegram: delete message:" and
// never contain the token. Deletions are not paced like Send.
func (a *Adapter) DeleteMessage(ctx context.Context, chat bot.ChatRef, msg string) error {
	if chat.Platform != Platform {
		return fmt.Errorf("telegram: delete message: chat %s is not a Telegram chat: %w", chat, bot.ErrPermanent)
	}
	chatID, err := strconv.ParseInt(chat.ID, 10, 64)
	if err != nil || chatID == 0 {
		return fmt.Errorf("telegram: delete message: malformed chat id %q: %w", chat.ID, bot.ErrPermanent)
	}
	id, err := strconv.Atoi(msg)
	if err != nil || id <= 0 {
		return fmt.Errorf("telegram: delete message: malformed message id %q: %w", msg, bot.ErrPermanent)
	}
	if _, err := a.api.DeleteMessage(ctx, &tg.DeleteMessageParams{ChatID: chatID, MessageID: id}); err != nil {
		return a.callError("delete message", err)
	}
	return nil
}

// callError wraps the library's error of a Bot API call other than a send,
// sanitized and prefixed "telegram: op: "; 4xx answers but 429 wrap
// bot.ErrPermanent.
func (a *Adapter) callError(op string, err error) error {
	msg := "telegram: " + op + ": " + a.describe(err)
	var tmr *tg.TooManyRequestsError
	var mig *tg.MigrateError
	switch {
	case errors.As(err, &tmr):
		return &opError{msg: "telegram: " + op + ": " + a.describe(errors.New(tmr.Message)), errs: []error{err}}
	case errors.As(err, &mig),
		errors.Is(err, tg.ErrorBadRequest), errors.Is(err, tg.ErrorForbidden),
		errors.Is(err, tg.ErrorUnauthorized), errors.Is(err, tg.ErrorNotFound):
		return &opError{msg: msg, errs: []error{err, bot.ErrPermanent}}
	}
	return &opError{msg: msg, errs: []error{err}}
}
