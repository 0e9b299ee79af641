package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody bounds a request body: Telegram's 50 MB upload limit plus room
// for the other fields.
const maxBody = 52 << 20

// Upload is a file: one the bot uploaded with sendDocument, or one a test
// user sends to the bot (Server.SendDocument).
type Upload struct {
	FileName string
	MimeType string
	Data     []byte
}

// params are a request's parameters, each as a string: strings as sent,
// every other value as JSON text (42, true, {"inline_keyboard":…}), the
// same way in multipart, URL-encoded and JSON bodies and the query string.
type params struct {
	values map[string]string
	files  map[string]Upload
}

// readParams reads the query string and the body. Multipart bodies may be
// empty (go-telegram/bot sends an empty body for parameterless methods);
// a body of another type is ignored, as Telegram does.
func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	p := params{values: map[string]string{}, files: map[string]Upload{}}
	for k, v := range r.URL.Query() {
		p.values[k] = v[0]
	}
	if r.Method != http.MethodPost {
		return p, nil
	}
	mediaType, mparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(w, r.Body, maxBody)
	switch mediaType {
	case "multipart/form-data":
		return p, readMultipart(body, mparams["boundary"], p)
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(body)
		if err != nil {
			return p, err
		}
		q, err := url.ParseQuery(string(raw))
		if err != nil {
			return p, err
		}
		for k, v := range q {
			p.values[k] = v[0]
		}
	case "application/json":
		raw, err := io.ReadAll(body)
		if err != nil {
			return p, err
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			return p, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return p, err
		}
		for k, v := range m {
			v = bytes.TrimSpace(v)
			switch {
			case bytes.Equal(v, []byte("null")):
			case len(v) > 0 && v[0] == '"':
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return p, err
				}
				p.values[k] = s
			default:
				p.values[k] = string(v)
			}
		}
	}
	return p, nil
}

func readMultipart(body io.Reader, boundary string, p params) error {
	if boundary == "" {
		return errors.New("no multipart boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			// Also an empty body, which mime/multipart reports as
			// "multipart: NextPart: EOF".
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return err
		}
		name := part.FormName()
		if fn := part.FileName(); fn != "" {
			p.files[name] = Upload{FileName: fn, MimeType: part.Header.Get("Content-Type"), Data: data}
			continue
		}
		if _, dup := p.values[name]; !dup {
			p.values[name] = string(data)
		}
	}
}

// badRequest is a 400 answer with Telegram's "Bad Request: " prefix.
func badRequest(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func (p params) has(k string) bool {
	_, ok := p.values[k]
	return ok
}

func (p params) str(k string) string { return p.values[k] }

// int64 reads an integer parameter; JSON strings of digits count too.
// Absent is 0, false.
func (p params) int64(k string) (int64, bool, *apiError) {
	v, ok := p.values[k]
	if !ok || v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil {
		return 0, false, badRequest("invalid %s specified", k)
	}
	return n, true, nil
}

func (p params) bool(k string) bool {
	b, _ := strconv.ParseBool(p.values[k])
	return b
}

// jsonValue decodes a JSON-valued parameter into v; absent is false, nil.
func (p params) jsonValue(k string, v any) (bool, error) {
	s, ok := p.values[k]
	if !ok || s == "" {
		return false, nil
	}
	return true, json.Unmarshal([]byte(s), v)
}
