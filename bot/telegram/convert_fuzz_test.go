package telegram

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/go-telegram/bot/models"
)

// FuzzConvert feeds arbitrary update JSON (what the webhook handler and
// long polling decode) to the adapter's conversion: it never panics, and
// whatever it accepts names its chat and, for a message, a document or a
// tap, its sender; a document has its file id and no negative size, a
// message id is a number.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{
		`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"supergroup"},"from":{"id":7,"first_name":"총무"},"text":"/status"}}`,
		`{"update_id":2,"callback_query":{"id":"q","from":{"id":7,"first_name":"a"},"message":{"message_id":3,"date":1,"chat":{"id":7,"type":"private"}},"data":"assign:a1/2:m01"}}`,
		`{"update_id":3,"callback_query":{"id":"q","from":{"id":7},"message":{"message_id":3,"date":0,"chat":{"id":7}}}}`,
		`{"update_id":4,"my_chat_member":{"chat":{"id":-100,"type":"group"},"from":{"id":7},"date":1,"old_chat_member":{"status":"member","user":{"id":1}},"new_chat_member":{"status":"left","user":{"id":1}}}}`,
		`{"update_id":5,"message":{"message_id":9,"date":1,"chat":{"id":-100,"type":"group"},"migrate_to_chat_id":-1001}}`,
		`{"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"group"},"from":{"id":7},"text":"/treasurer add","reply_to_message":{"message_id":2,"date":1,"chat":{"id":-100,"type":"group"},"from":{"id":8,"first_name":"민수"}}}}`,
		`{"update_id":8,"message":{"message_id":41,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7,"first_name":"총무"},"document":{"file_id":"BQACAgUAAxkBAAI1","file_unique_id":"AgAD1","file_name":"거래내역.xlsx","mime_type":"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet","file_size":12345},"caption":"/import"}}`,
		`{"update_id":9,"message":{"message_id":42,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"document":{"file_id":"F","file_unique_id":"U","file_size":-1}}}`,
		`{"update_id":10,"message":{"message_id":43,"date":1,"chat":{"id":7,"type":"private"},"from":{"id":7},"photo":[{"file_id":"P","file_unique_id":"Q","width":1,"height":1}],"caption":"x"}}`,
		`{}`, `null`, `{"update_id":7,"message":{}}`,
	} {
		f.Add([]byte(s))
	}
	a := &Adapter{}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u models.Update
		if json.Unmarshal(data, &u) != nil {
			return
		}
		it, ok := a.convert(&u)
		if !ok || it.skip { // skipped items are only answered, not handled
			return
		}
		if it.u.Chat.Platform != "telegram" || it.u.Chat.ID == "" {
			t.Fatalf("accepted an update without its chat: %+v", it.u)
		}
		if _, err := strconv.ParseInt(it.u.Chat.ID, 10, 64); err != nil {
			t.Fatalf("chat id %q is not a number", it.u.Chat.ID)
		}
		if (it.u.Text != "" || it.u.Tap != nil || it.u.Document != nil) && it.u.From.ID == "" {
			t.Fatalf("a message or tap without its sender: %+v", it.u)
		}
		if d := it.u.Document; d != nil && (d.ID == "" || d.Size < 0) {
			t.Fatalf("a document without its id or with a negative size: %+v", d)
		}
		if it.u.MessageID != "" {
			if _, err := strconv.Atoi(it.u.MessageID); err != nil {
				t.Fatalf("message id %q is not a number", it.u.MessageID)
			}
		}
	})
}
