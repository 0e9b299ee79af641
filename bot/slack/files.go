package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/moimbot/moimbot/bot"
)

// filesHost serves the files people share on Slack (url_private).
const filesHost = "files.slack.com"

var _ bot.FileFetcher = (*Adapter)(nil)

// errRedirect stops a download that Slack redirects elsewhere: to its
// sign-in page when the token may not read the file.
var errRedirect = errors.New("redirected away from Slack's file host")

// FetchFile downloads a file a person shared with the bot
// (Update.Document): a GET of its URL with the bot token as a bearer
// token. It implements bot.FileFetcher.
//
// The token is sent only to https://files.slack.com or to the configured
// API URL's scheme and host (the fake server in tests); any other URL, and
// a redirect to one, fails. It fails without downloading when the size the
// event reported is over limit, and stops reading and fails as soon as
// the body turns out larger (it reads at most limit+1 bytes). An HTML
// answer, Slack's sign-in page for a file the token cannot read, fails
// too. Failures that retrying cannot fix (too large, a refused URL, 4xx
// other than 429, the sign-in page) wrap bot.ErrPermanent; network
// errors, 429 and 5xx answers do not. Error texts start with "slack:
// fetch file:" and never contain the token.
func (a *Adapter) FetchFile(ctx context.Context, d bot.Document, limit int64) ([]byte, error) {
	permanent := func(format string, args ...any) error {
		return fmt.Errorf("slack: fetch file: "+format+": %w", append(args, bot.ErrPermanent)...)
	}
	switch {
	case limit <= 0:
		return nil, fmt.Errorf("slack: fetch file: limit %d is not positive", limit)
	case d.URL == "":
		return nil, permanent("no URL")
	case d.Size > limit:
		return nil, permanent("the file is %d bytes, over the limit of %d", d.Size, limit)
	}
	u, err := url.Parse(d.URL)
	if err != nil || !a.mayReceiveToken(u) {
		return nil, permanent("refusing to send the token to %q", redactURL(d.URL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, permanent("%s", a.sanitize(err.Error()))
	}
	req.Header.Set("Authorization", "Bearer "+a.botToken)
	client := *a.client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 || !a.mayReceiveToken(r.URL) {
			return errRedirect
		}
		return nil
	}
	res, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errRedirect) {
			return nil, permanent("the token cannot read the file (%s)", errRedirect)
		}
		return nil, fmt.Errorf("slack: fetch file: %s", a.sanitize(err.Error()))
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		after := DefaultRetryAfter
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return nil, &bot.RetryAfterError{After: after, Err: fmt.Errorf("slack: fetch file: %s", res.Status)}
	case res.StatusCode >= 500:
		return nil, fmt.Errorf("slack: fetch file: %s", res.Status)
	case res.StatusCode != http.StatusOK:
		return nil, permanent("%s", res.Status)
	}
	if ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); ct == "text/html" {
		return nil, permanent("Slack answered a web page: the token cannot read the file")
	}
	if res.ContentLength > limit {
		return nil, permanent("the file is %d bytes, over the limit of %d", res.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("slack: fetch file: %s", a.sanitize(err.Error()))
	}
	if int64(len(data)) > limit {
		return nil, permanent("the file is over the limit of %d bytes", limit)
	}
	return data, nil
}

// mayReceiveToken reports whether the bot token may be sent to u: Slack's
// file host over HTTPS, or the API URL's scheme and host.
func (a *Adapter) mayReceiveToken(u *url.URL) bool {
	if u.User != nil {
		return false
	}
	return u.Scheme == "https" && u.Host == filesHost ||
		u.Scheme == a.apiURL.Scheme && u.Host == a.apiURL.Host
}

// redactURL returns rawURL's scheme and host only, for error texts.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "an unparsable URL"
	}
	return u.Scheme + "://" + u.Host
}
