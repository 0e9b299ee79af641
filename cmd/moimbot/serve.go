package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// The settings of moimbot serve: each is a flag and an environment
// variable.
const (
	envHTTPAddr       = "MOIMBOT_HTTP_ADDR"
	envPublicURL      = "MOIMBOT_PUBLIC_URL"
	envKFTCBaseURL    = "MOIMBOT_KFTC_BASE_URL"
	envKFTCClientID   = "MOIMBOT_KFTC_CLIENT_ID"
	envKFTCSecret     = "MOIMBOT_KFTC_CLIENT_SECRET"
	envKFTCUseCode    = "MOIMBOT_KFTC_CLIENT_USE_CODE"
	envTelegramToken  = "MOIMBOT_TELEGRAM_TOKEN"
	envTelegramAPIURL = "MOIMBOT_TELEGRAM_API_URL"
	envTelegramHook   = "MOIMBOT_TELEGRAM_WEBHOOK_SECRET"
	envLang           = "MOIMBOT_LANG"
)

// serveConfig is moimbot serve's configuration.
type serveConfig struct {
	db, httpAddr, publicURL                  string
	kftcURL, clientID, clientSecret, useCode string
	telegramToken, telegramAPIURL, webhook   string
	lang                                     string
	testbed                                  bool
	secretKeyFile                            string
	logLevel                                 string
	logFormat, adminAddr, trustedProxy       string
	slack                                    slackConfig
	pollTimeout                              time.Duration // Telegram long polling; 0: the adapter's default

	// Set by tests only: a listener made in advance (its address is the
	// public URL), the clock, the poll schedule and the dispatcher's idle
	// wait.
	ln   net.Listener
	now  func() time.Time
	plan func(store.Group) cron.Schedule
	idle time.Duration
}

// serveFlags declares serve's flags, each defaulting to its variable.
func serveFlags(e env, fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{}
	str := func(p *string, name, envVar, def, usage string) {
		if v := e.getenv(envVar); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, usage+" ($"+envVar+")")
	}
	fs.StringVar(&c.db, "db", orDefault(e.getenv(envDB), "moimbot.db"), "database `file` ($"+envDB+")")
	str(&c.httpAddr, "http-addr", envHTTPAddr, defaultHTTPAddr, "`address` of the HTTP server: link pages and the OAuth callback")
	str(&c.publicURL, "public-url", envPublicURL, "http://127.0.0.1:8080", "the `URL` browsers use to reach that server")
	str(&c.kftcURL, "kftc-base-url", envKFTCBaseURL, "https://testapi.openbanking.or.kr", "KFTC Open Banking API base `URL`")
	str(&c.clientID, "kftc-client-id", envKFTCClientID, "", "the institution's client_id (required for linking)")
	str(&c.clientSecret, "kftc-client-secret", envKFTCSecret, "", "the institution's client_secret")
	str(&c.useCode, "kftc-client-use-code", envKFTCUseCode, "", "the institution's 이용기관코드 (M + 9 digits)")
	str(&c.telegramToken, "telegram-token", envTelegramToken, "", "Telegram bot `token` from @BotFather (Telegram is off without it)")
	str(&c.telegramAPIURL, "telegram-api-url", envTelegramAPIURL, telegram.DefaultAPIURL, "Telegram Bot API base `URL`")
	str(&c.webhook, "telegram-webhook-secret", envTelegramHook, "", "receive Telegram updates by webhook at PUBLIC_URL/telegram/webhook, checked with this `secret` (1-256 of A-Z a-z 0-9 _ -), instead of long polling")
	str(&c.lang, "lang", envLang, "ko", "default `language` of new groups: ko or en")
	fs.StringVar(&c.secretKeyFile, "secret-key-file", "", "`file` holding the token encryption key (else $"+store.EnvSecretKey+" or $"+store.EnvSecretKeyFile+")")
	fs.StringVar(&c.logLevel, "log-level", orDefault(e.getenv(envLogLevel), "info"), "log `level`: debug, info, warn or error ($MOIMBOT_LOG_LEVEL)")
	slackFlags(e, fs, &c.slack)
	observeFlags(e, fs, c)
	fs.BoolVar(&c.testbed, "testbed", false, "run the built-in KFTC simulator in this process and link against it (try moimbot without KFTC access)")
	return c
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// runServe is `moimbot serve`: the store, the engine, the outbox
// dispatcher, the control socket, the HTTP server and every chat adapter
// whose credentials are set, until SIGINT or SIGTERM.
func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("serve")
	c := serveFlags(e, fs)
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	return serve(ctx, e, c)
}

// checkURL refuses a setting that is not an absolute http(s) URL.
func checkURL(name, envVar, v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--%s ($%s) %q: want an absolute http or https URL", name, envVar, v)
	}
	return strings.TrimSuffix(v, "/"), nil
}

func serve(ctx context.Context, e env, c *serveConfig) error {
	// Everything is checked before anything starts.
	var err error
	if c.publicURL, err = checkURL("public-url", envPublicURL, c.publicURL); err != nil {
		return err
	}
	if c.kftcURL, err = checkURL("kftc-base-url", envKFTCBaseURL, c.kftcURL); err != nil {
		return err
	}
	if c.telegramAPIURL, err = checkURL("telegram-api-url", envTelegramAPIURL, c.telegramAPIURL); err != nil {
		return err
	}
	if c.lang != "ko" && c.lang != "en" {
		return usagef("--lang ($%s) %q: must be ko or en", envLang, c.lang)
	}
	if _, _, err := net.SplitHostPort(c.httpAddr); err != nil {
		return usagef("--http-addr ($%s) %q: %v", envHTTPAddr, c.httpAddr, err)
	}
	log, err := newLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	limiter, err := checkObserve(c)
	if err != nil {
		return err
	}
	if err := c.slack.check(); err != nil {
		return err
	}
	if c.telegramToken == "" && c.slack.botToken == "" && !c.testbed {
		return usagef("no chat platform is configured: set %s or %s", envTelegramToken, envSlackBotToken)
	}
	var key *store.Cipher
	if c.secretKeyFile != "" {
		key, err = store.KeyFromFile(c.secretKeyFile)
	} else if c.testbed && e.getenv(store.EnvSecretKey) == "" && e.getenv(store.EnvSecretKeyFile) == "" {
		if key, err = useTestbedKey(e, c.db); err != nil {
			return err
		}
	} else {
		key, err = store.KeyFromVars(e.getenv, store.EnvSecretKey, store.EnvSecretKeyFile)
	}
	if err != nil {
		which := "$" + store.EnvSecretKey
		switch {
		case c.secretKeyFile != "":
			which = "--secret-key-file " + c.secretKeyFile
		case e.getenv(store.EnvSecretKeyFile) != "":
			which = "$" + store.EnvSecretKeyFile
		}
		return usagef("%s: %s (make one with: head -c 32 /dev/urandom | base64)", which, keyProblem(err))
	}
	if !c.testbed && (c.clientID == "" || c.clientSecret == "" || c.useCode == "") {
		return usagef("linking needs the institution's credentials: set %s, %s and %s, or run with --testbed",
			envKFTCClientID, envKFTCSecret, envKFTCUseCode)
	}

	// Shutdown, in order, whichever way serve returns: the context ends,
	// the servers close, every goroutine returns, then the database closes.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var closers []func()
	var db *store.DB
	defer func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		wg.Wait()
		if db != nil {
			db.Close()
		}
	}()
	errs := make(chan error, 4)
	goRun := func(name string, f func() error) {
		wg.Go(func() {
			if err := f(); err != nil && ctx.Err() == nil {
				if name != "" {
					err = fmt.Errorf("%s: %w", name, err)
				}
				errs <- err
				cancel()
			}
		})
	}

	callback := c.publicURL + "/oauth/callback"
	if c.testbed {
		sim := testbed.New(testbed.Config{})
		demo, err := testbed.SeedDemoAccounts(sim, []string{callback})
		if err != nil {
			return err
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("testbed: listen: %w", err)
		}
		srv := testbedServer(sim)
		goRun("testbed", func() error { return ignoreClosed(srv.Serve(ln)) })
		closers = append(closers, func() { srv.Close() })
		c.kftcURL = "http://" + ln.Addr().String()
		c.clientID, c.clientSecret, c.useCode = demo.Institution.ClientID, demo.Institution.ClientSecret, demo.Institution.ClientUseCode
		fmt.Fprintf(e.stdout, "KFTC simulator on %s (--testbed): consent as %s, user %s; its admin API is %s/testbed/\n",
			c.kftcURL, demo.User.Name, demo.User.UserSeqNo, c.kftcURL)
	}

	if db, err = openDB(ctx, c.db, store.Options{Cipher: key, Now: c.now}); err != nil {
		return err
	}
	metrics := server.NewMetrics(versionString())
	client, calls, err := server.NewBankClient(openbanking.Config{BaseURL: c.kftcURL, ClientID: c.clientID,
		ClientSecret: c.clientSecret, ClientUseCode: c.useCode, RedirectURI: callback, Sequence: db, Now: c.now,
		HTTPClient: &http.Client{Transport: metrics.KFTCTransport(nil)}})
	if err != nil {
		return usagef("%v", err)
	}

	// The adapter hands updates to the router, which needs the engine,
	// which needs the adapter to send: the handler is bound after both
	// exist.
	var router *server.Router
	handler := bot.HandlerFunc(func(ctx context.Context, u bot.Update) string { return router.HandleUpdate(ctx, u) })
	chats := map[string]bot.Chat{}
	var tg *telegram.Adapter
	if c.telegramToken != "" {
		tcfg := telegram.Config{Token: c.telegramToken, APIURL: c.telegramAPIURL, Handler: handler,
			Log: log.With("platform", "telegram"), PollTimeout: c.pollTimeout, WebhookSecret: c.webhook}
		if c.webhook != "" {
			tcfg.WebhookURL = c.publicURL + telegramWebhookPath
			if !strings.HasPrefix(c.publicURL, "https://") {
				log.Warn("Telegram delivers webhooks to HTTPS URLs only", "public_url", c.publicURL)
			}
		}
		if tg, err = telegram.New(tcfg); err != nil {
			if c.webhook != "" && strings.Contains(err.Error(), "secret") {
				return usagef("--telegram-webhook-secret ($%s): %v", envTelegramHook, err)
			}
			return usagef("--telegram-token ($%s): %v", envTelegramToken, err)
		}
		chats[telegram.Platform] = tg
	}
	extra := map[string]http.Handler{}
	sl, err := newSlack(c.slack, handler, log, c.now, extra)
	if err != nil {
		return err
	}
	if sl != nil {
		chats[slack.Platform] = sl
	}
	if len(chats) == 0 {
		log.Warn("no chat platform is configured: moimbot posts nothing and /readyz says so; set " + envTelegramToken + " or " + envSlackBotToken)
	}
	eng := server.New(server.Config{DB: db, Client: client, Calls: calls, Chats: chats, Metrics: metrics,
		Log: log, PublicURL: c.publicURL, Lang: bot.ParseLang(c.lang), Now: c.now, Plan: c.plan, Idle: c.idle})
	router = eng.Router()

	ln := c.ln
	if ln == nil {
		if ln, err = listen(ctx, "http", c.httpAddr); err != nil {
			return err
		}
	}
	if tg != nil && c.webhook != "" {
		extra["POST "+telegramWebhookPath] = tg.WebhookHandler()
	}
	// /readyz and /metrics are on the admin address when there is one,
	// else on the HTTP server.
	ops, publicOps := opsHandler(eng, metrics, log), http.Handler(nil)
	adminAt := ""
	if c.adminAddr == "" {
		publicOps = ops
	} else {
		aln, err := listen(ctx, "admin http", c.adminAddr)
		if err != nil {
			ln.Close()
			return err
		}
		adminAt = "http://" + aln.Addr().String()
		adm := newHTTPServer(ops, log)
		goRun("admin http", func() error { return ignoreClosed(adm.Serve(aln)) })
		closers = append(closers, func() { adm.Close() })
	}
	web := newHTTPServer(publicHandler(eng, limiter, publicOps, extra), log)
	goRun("http", func() error { return ignoreClosed(web.Serve(ln)) })
	closers = append(closers, func() { web.Close() })

	wait, err := eng.Start(ctx)
	if err != nil {
		return err
	}
	if tg != nil {
		goRun("", func() error { return tg.Run(ctx) }) // its errors say "telegram: …"
	}
	if sl != nil {
		goRun("", func() error { return sl.Run(ctx) }) // its errors say "slack: …"
	}
	goRun("control socket", func() error { return serveAdmin(ctx, db, eng, adminSocket(c.db)) })
	log.Info("moimbot serving", "http", "http://"+ln.Addr().String(), "admin_http", adminAt, "public_url", c.publicURL, "db", c.db, "version", versionString())
	fmt.Fprintf(e.stdout, "moimbot serving: HTTP on http://%s (public URL %s)%s, database %s. Ctrl-C stops it.\n",
		ln.Addr(), c.publicURL, adminNote(adminAt), c.db)

	<-ctx.Done()
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	web.Shutdown(shutdown)
	wait() // in-flight passes end, the dispatcher stops between messages
	select {
	case err := <-errs:
		return err
	default:
	}
	fmt.Fprintln(e.stdout, "moimbot stopped")
	return nil
}

// telegramWebhookPath is where serve receives Telegram's updates in
// webhook mode.
const telegramWebhookPath = "/telegram/webhook"

// ignoreClosed is nil for the error Serve returns after Shutdown or Close.
func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
