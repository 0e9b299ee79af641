package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// The control socket. The process that holds the database (the bot) serves
// it next to the database file, so that commands run beside it can reach
// what only the lock holder can do: a hot backup. It is a Unix socket with
// mode 0600, so only the bot's user can use it; the protocol is HTTP.
//
//	GET /backup   a consistent copy of the database (store.DB.BackupSized:
//	              a snapshot copied to a temporary file, then streamed)
//	GET /calls    transaction-list calls per account and month (JSON)
//	GET /export?group=NAME&as_of=YYYY-MM
//	              a group's store.Export (JSON), the group named NAME or
//	              with id NAME; 404 "no such group" when there is none

// adminSocket returns the control socket path of the database at dbPath.
func adminSocket(dbPath string) string { return dbPath + ".sock" }

// Timeouts of the control socket's server. Its answers are small, but for
// a backup, which streams the whole database: its write deadline moves
// forward with every chunk the client takes (adminStall), so a backup of
// any size reaches a client that keeps reading, and one that stops reading
// is cut off.
const (
	adminReadTimeout  = 10 * time.Second // the requests are GETs without a body
	adminWriteTimeout = time.Minute
	adminIdleTimeout  = 30 * time.Second
	adminStall        = 30 * time.Second
)

// serveAdmin serves the control socket for db at path until ctx is done.
// `moimbot demo --keep` starts it beside the engine, as the long-running
// bot will.
// The caller must hold db open read-write: bbolt's lock makes it the only
// process that can, so a socket file left by a crashed bot is stale and is
// replaced.
// eng, when set, takes statement imports (POST /import).
func serveAdmin(ctx context.Context, db *store.DB, eng *server.Engine, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin socket: %w", err)
	}
	ln, err := listenPrivate(ctx, path)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer os.Remove(path)
	srv := adminServer(db, eng)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	err = srv.Serve(ln)
	<-stopped
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("admin socket: %w", err)
}

// adminServer is the control socket's HTTP server for db, and for eng's
// statement imports when eng is set.
func adminServer(db *store.DB, eng *server.Engine) *http.Server {
	mux := http.NewServeMux()
	if eng != nil {
		mux.HandleFunc("POST /import", handleAdminImport(db, eng))
	}
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		started := false
		// The snapshot goes to a temporary file first: no read
		// transaction waits on the client, so a client that stops
		// reading holds up no write (see store.DB.BackupSized).
		_, err := db.BackupSized(r.Context(), func(size int64) io.Writer {
			started = true
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			return stallWriter{w: w, rc: http.NewResponseController(w), stall: adminStall}
		})
		// An error after the first byte can only cut the body short, which
		// the client sees as missing bytes.
		if err != nil && !started {
			http.Error(w, "backup failed", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, r *http.Request) {
		rows, err := callRows(r.Context(), db)
		if err != nil {
			http.Error(w, "call counts failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rows)
	})
	mux.HandleFunc("GET /export", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		asOf, err := ledger.ParsePeriod(q.Get("as_of"))
		if err != nil || asOf.IsZero() || q.Get("group") == "" {
			http.Error(w, "want group and as_of (YYYY-MM)", http.StatusBadRequest)
			return
		}
		ex, err := exportGroup(r.Context(), db, q.Get("group"), asOf)
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, adminNoSuchGroup, http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, "export failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ex)
	})
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: adminReadTimeout,
		ReadTimeout:       adminReadTimeout,
		WriteTimeout:      adminWriteTimeout,
		IdleTimeout:       adminIdleTimeout,
	}
}

// stallWriter writes a long response, moving the connection's write
// deadline stall ahead before each write: the response may take as long as
// the client keeps reading, and fails once the client has stopped reading
// for stall.
type stallWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	stall time.Duration
}

func (s stallWriter) Write(p []byte) (int, error) {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.stall)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return s.w.Write(p)
}

// adminGet asks the process serving the control socket at sock for path
// (which may carry a query). It returns errNoAdmin when nobody answers, and
// an *adminStatusError for any status but 200; the caller closes the body.
func adminGet(ctx context.Context, sock, path string) (*http.Response, error) {
	if _, err := os.Stat(sock); err != nil {
		return nil, errNoAdmin
	}
	hc := adminClient(sock)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://moimbot"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return nil, errNoAdmin
		}
		return nil, fmt.Errorf("ask the running bot for %s: %w", req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		line, _ := bufio.NewReader(io.LimitReader(resp.Body, 512)).ReadString('\n')
		return nil, &adminStatusError{path: req.URL.Path, code: resp.StatusCode, status: resp.Status, text: strings.TrimSpace(line)}
	}
	return resp, nil
}

// adminClient is an HTTP client of the control socket at sock: requests
// to any http://moimbot/… URL go there.
func adminClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

// adminStatusError is an answer of the control socket other than 200 OK.
type adminStatusError struct {
	path   string // without the query
	code   int
	status string
	// text is the first line of the body: what http.Error said.
	text string
}

func (e *adminStatusError) Error() string {
	s := fmt.Sprintf("ask the running bot for %s: %s", e.path, e.status)
	if e.text != "" {
		s += " (" + e.text + ")"
	}
	return s
}

// errNoAdmin means no running process answers on the control socket.
var errNoAdmin = errors.New("no running moimbot answers on the control socket")

// backupFromAdmin asks the process serving the control socket at sock for a
// backup and saves it to out (see store.SaveBackup).
func backupFromAdmin(ctx context.Context, sock, out string) (int64, error) {
	resp, err := adminGet(ctx, sock, "/backup")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return store.SaveBackup(ctx, out, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
		}
		return n, err
	})
}
