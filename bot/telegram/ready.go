package telegram

// Connected reports whether Run has made its startup calls (getMe, and
// deleteWebhook or setWebhook) and is receiving updates, by long polling
// or by webhook: false before that, while a startup call is being retried
// (Telegram unreachable, a wrong API URL), and after Run returned. A
// getUpdates call failing later is retried by the library and not
// reflected here. Readiness checks (/readyz) use it.
func (a *Adapter) Connected() bool { return a.connected.Load() }
