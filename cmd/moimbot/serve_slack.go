package main

import (
	"flag"
	"log/slog"
	"net/http"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/slack"
)

// The Slack settings of moimbot serve.
const (
	envSlackBotToken = "MOIMBOT_SLACK_BOT_TOKEN"
	envSlackAppToken = "MOIMBOT_SLACK_APP_TOKEN"
	envSlackSecret   = "MOIMBOT_SLACK_SIGNING_SECRET"
	envSlackAPIURL   = "MOIMBOT_SLACK_API_URL"
)

// Where serve receives Slack's requests in HTTP mode (the app manifest's
// request URLs).
const (
	slackCommandsPath     = "/slack/commands"
	slackInteractionsPath = "/slack/interactions"
	slackEventsPath       = "/slack/events"
)

// slackConfig is serve's Slack configuration.
type slackConfig struct {
	botToken, appToken, signingSecret, apiURL string
}

// slackFlags declares the Slack flags, each defaulting to its variable.
func slackFlags(e env, fs *flag.FlagSet, c *slackConfig) {
	str := func(p *string, name, envVar, def, usage string) {
		fs.StringVar(p, name, orDefault(e.getenv(envVar), def), usage+" ($"+envVar+")")
	}
	str(&c.botToken, "slack-bot-token", envSlackBotToken, "", "Slack bot `token` (xoxb-…; Slack is off without it)")
	str(&c.appToken, "slack-app-token", envSlackAppToken, "", "Slack app-level `token` (xapp-…): receive commands over Socket Mode, no public URL needed")
	str(&c.signingSecret, "slack-signing-secret", envSlackSecret, "", "Slack signing `secret`: receive commands at PUBLIC_URL/slack/commands and /slack/interactions (HTTP mode)")
	str(&c.apiURL, "slack-api-url", envSlackAPIURL, slack.DefaultAPIURL, "Slack Web API base `URL`")
}

// check refuses a Slack setting without the bot token, before anything
// starts.
func (c *slackConfig) check() error {
	if c.botToken == "" && (c.appToken != "" || c.signingSecret != "") {
		return usagef("--slack-app-token and --slack-signing-secret need the bot token too: set %s", envSlackBotToken)
	}
	if c.apiURL != "" {
		u, err := checkURL("slack-api-url", envSlackAPIURL, c.apiURL)
		if err != nil {
			return err
		}
		c.apiURL = u + "/"
	}
	return nil
}

// newSlack makes the Slack adapter when a bot token is set (nil when
// not), and adds its HTTP-mode routes to routes.
func newSlack(c slackConfig, handler bot.Handler, log *slog.Logger, now func() time.Time, routes map[string]http.Handler) (*slack.Adapter, error) {
	if c.botToken == "" {
		return nil, nil
	}
	a, err := slack.New(slack.Config{BotToken: c.botToken, AppToken: c.appToken, SigningSecret: c.signingSecret,
		APIURL: c.apiURL, Handler: handler, Log: log.With("platform", slack.Platform), Now: now})
	if err != nil {
		return nil, usagef("--slack-bot-token ($%s): %v", envSlackBotToken, err)
	}
	if c.signingSecret != "" {
		routes["POST "+slackCommandsPath] = a.CommandsHandler()
		routes["POST "+slackInteractionsPath] = a.InteractionsHandler()
		routes["POST "+slackEventsPath] = a.EventsHandler()
	}
	return a, nil
}
