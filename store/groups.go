package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// ChatRef names a chat on a platform: {telegram, -1001234} or {slack,
// C0ABC}.
type ChatRef struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
}

// String returns "platform:id".
func (c ChatRef) String() string { return c.Platform + ":" + c.ID }

// ChatUser names a person on a chat platform: {telegram, 1234} or {slack,
// U0ABC}.
type ChatUser struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
}

// String returns "platform:id", the form audit entries use as the actor.
func (u ChatUser) String() string { return u.Platform + ":" + u.ID }

// ParseChatUser parses "platform:id".
func ParseChatUser(s string) (ChatUser, error) {
	p, id, ok := strings.Cut(s, ":")
	if !ok || p == "" || id == "" {
		return ChatUser{}, fmt.Errorf("store: chat user %q: %w: want platform:id", s, ErrInvalid)
	}
	return ChatUser{Platform: p, ID: id}, nil
}

// valid reports whether u has a platform (without ":") and an id, neither
// holding a zero byte, which the indexes use as a separator.
func (u ChatUser) valid() bool {
	return u.Platform != "" && u.ID != "" && !strings.Contains(u.Platform, ":") && !strings.ContainsRune(u.Platform+u.ID, 0)
}

// Reminder is when the bot reminds members who have not paid: on each of
// Days (relative to the due day: -3 is three days before, 0 the day itself)
// at Hour:Minute Korean time.
type Reminder struct {
	Enabled bool  `json:"enabled"`
	Days    []int `json:"days,omitempty"`
	Hour    int   `json:"hour"`
	Minute  int   `json:"minute"`
}

// GroupSettings is what the bot needs about a group beyond the ledger.
type GroupSettings struct {
	// Language of the group's messages: "ko" (the default) or "en".
	Language string   `json:"language,omitempty"`
	Reminder Reminder `json:"reminder"`
	// Chats are the group chats the bot posts notices to.
	Chats []ChatRef `json:"chats,omitempty"`
	// Removed are group chats the bot was removed from: it no longer posts
	// there, and the chat becomes the group's again when a treasurer sends
	// /setup in it after adding the bot back.
	Removed []ChatRef `json:"removed,omitempty"`
	// Treasurers and CoTreasurers may decide reviews and change the group.
	Treasurers   []ChatUser `json:"treasurers,omitempty"`
	CoTreasurers []ChatUser `json:"co_treasurers,omitempty"`
}

// IsTreasurer reports whether u is a treasurer or co-treasurer.
func (s GroupSettings) IsTreasurer(u ChatUser) bool {
	return slices.Contains(s.Treasurers, u) || slices.Contains(s.CoTreasurers, u)
}

func (s GroupSettings) validate() error {
	switch s.Language {
	case "", "ko", "en":
	default:
		return fmt.Errorf("%w: language %q is not ko or en", ErrInvalid, s.Language)
	}
	r := s.Reminder
	if r.Hour < 0 || r.Hour > 23 || r.Minute < 0 || r.Minute > 59 {
		return fmt.Errorf("%w: reminder time %02d:%02d", ErrInvalid, r.Hour, r.Minute)
	}
	for _, d := range r.Days {
		if d < -31 || d > 31 {
			return fmt.Errorf("%w: reminder day %d is more than a month from the due day", ErrInvalid, d)
		}
	}
	for _, c := range s.Chats {
		if c.Platform == "" || c.ID == "" {
			return fmt.Errorf("%w: chat %q needs a platform and an id", ErrInvalid, c.String())
		}
		if strings.ContainsRune(c.Platform+c.ID, 0) {
			return fmt.Errorf("%w: chat %q holds a zero byte", ErrInvalid, c.String())
		}
	}
	for _, u := range slices.Concat(s.Treasurers, s.CoTreasurers) {
		if !u.valid() {
			return fmt.Errorf("%w: treasurer %q needs a platform and an id", ErrInvalid, u.String())
		}
	}
	return nil
}

// Group is a group as the store keeps it: the ledger's group (members with
// their aliases, dues rule, ignore texts) and the bot's settings.
type Group struct {
	ledger.Group
	Settings GroupSettings `json:"settings"`
}

// PutGroup creates or replaces a group. An empty ID gets a new one ("g1",
// "g2", ...). Names are unique. A member who has payments cannot be
// removed (set Left instead). Allocations are recomputed, since dues may
// have changed. The change is audited; the stored group is returned.
func (db *DB) PutGroup(ctx context.Context, actor string, g Group) (Group, error) {
	err := db.update(ctx, "put group", func(tx *bolt.Tx) error {
		var err error
		g, err = db.putGroupTx(tx, actor, ActionGroupPut, "", g)
		return err
	})
	return g, err
}

// UpdateGroup changes group id by fn and stores it, reading and writing it
// in one transaction, so that concurrent changes (two chats' commands at
// once) do not overwrite each other. An error from fn changes nothing. The
// change is audited like PutGroup's.
func (db *DB) UpdateGroup(ctx context.Context, actor, id string, fn func(*Group) error) (Group, error) {
	var g Group
	err := db.update(ctx, "update group", func(tx *bolt.Tx) error {
		cur, err := getGroup(tx, id)
		if err != nil {
			return err
		}
		if err := fn(&cur); err != nil {
			return err
		}
		g, err = db.putGroupTx(tx, actor, ActionGroupPut, "", cur)
		return err
	})
	return g, err
}

// PutMember adds a member to a group, or replaces the member with the same
// ID (keeping the roster order). An empty member ID gets a new one ("m1",
// "m2", ...). Aliases the stored member learned are kept even when m leaves
// them out, so editing a member's dues does not silently unlearn them (a
// learned alias goes through Unassign, or ledger.Group.Forget and
// PutGroup). The change is audited.
func (db *DB) PutMember(ctx context.Context, actor, groupID string, m ledger.Member) (ledger.Member, error) {
	err := db.update(ctx, "put member", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		if m.ID == "" {
			m.ID = nextMemberID(&g.Group)
		}
		if cur, ok := g.Member(m.ID); ok {
			for _, a := range cur.Aliases {
				if a.Learned && !slices.ContainsFunc(m.Aliases, func(b ledger.Alias) bool { return b.Text == a.Text }) {
					m.Aliases = append(m.Aliases, a)
				}
			}
			*cur = m
		} else {
			g.Members = append(g.Members, m)
		}
		_, err = db.putGroupTx(tx, actor, ActionMemberPut, m.ID, g)
		return err
	})
	return m, err
}

func nextMemberID(g *ledger.Group) string {
	for i := len(g.Members) + 1; ; i++ {
		id := fmt.Sprintf("m%d", i)
		if _, ok := g.Member(id); !ok {
			return id
		}
	}
}

func (db *DB) putGroupTx(tx *bolt.Tx, actor, action, target string, g Group) (Group, error) {
	groups := tx.Bucket(bucketGroups)
	if g.ID == "" {
		seq, err := groups.NextSequence()
		if err != nil {
			return g, err
		}
		g.ID = fmt.Sprintf("g%d", seq)
		for groups.Get([]byte(g.ID)) != nil {
			seq, _ = groups.NextSequence()
			g.ID = fmt.Sprintf("g%d", seq)
		}
	}
	if !validID(g.ID) {
		return g, fmt.Errorf("%w: group id %q", ErrInvalid, g.ID)
	}
	if err := g.Validate(); err != nil {
		return g, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for _, m := range g.Members {
		if !validID(m.ID) {
			return g, fmt.Errorf("%w: member id %q", ErrInvalid, m.ID)
		}
	}
	if err := g.Settings.validate(); err != nil {
		return g, err
	}
	var before *Group
	var old Group
	if ok, err := getJSON(groups, []byte(g.ID), &old); err != nil {
		return g, err
	} else if ok {
		before = &old
	}
	names := tx.Bucket(bucketGroupNames)
	if id := names.Get([]byte(g.Name)); id != nil && string(id) != g.ID {
		return g, fmt.Errorf("%w: a group named %q", ErrExists, g.Name)
	}
	if before != nil {
		if before.Name != g.Name {
			if err := names.Delete([]byte(before.Name)); err != nil {
				return g, err
			}
		}
		for _, m := range before.Members {
			if _, ok := g.Member(m.ID); !ok && groupHasPayments(tx, g.ID, m.ID) {
				return g, fmt.Errorf("%w: member %q has payments and cannot be removed; set the month they left instead", ErrInvalid, m.ID)
			}
		}
	}
	if err := names.Put([]byte(g.Name), []byte(g.ID)); err != nil {
		return g, err
	}
	if err := putJSON(groups, []byte(g.ID), g); err != nil {
		return g, err
	}
	if err := indexGroupTx(tx, before, &g); err != nil {
		return g, err
	}
	if before != nil {
		if _, err := reallocate(tx, &g.Group); err != nil {
			return g, err
		}
	}
	if target == "" {
		target = g.ID
	}
	e := AuditEntry{Actor: actor, Action: action, GroupID: g.ID, Target: target, After: rawJSON(g)}
	if before != nil {
		e.Before = rawJSON(before)
	}
	return g, db.audit(tx, e)
}

func getGroup(tx *bolt.Tx, id string) (Group, error) {
	var g Group
	ok, err := getJSON(tx.Bucket(bucketGroups), []byte(id), &g)
	if err != nil {
		return g, err
	}
	if !ok {
		return g, fmt.Errorf("group %q: %w", id, ErrNotFound)
	}
	return g, nil
}

// Group returns the group with id.
func (db *DB) Group(ctx context.Context, id string) (Group, error) {
	var g Group
	err := db.view(ctx, "group", func(tx *bolt.Tx) error {
		var err error
		g, err = getGroup(tx, id)
		return err
	})
	return g, err
}

// GroupByName returns the group named name.
func (db *DB) GroupByName(ctx context.Context, name string) (Group, error) {
	var g Group
	err := db.view(ctx, "group by name", func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketGroupNames).Get([]byte(name))
		if id == nil {
			return fmt.Errorf("group named %q: %w", name, ErrNotFound)
		}
		var err error
		g, err = getGroup(tx, string(id))
		return err
	})
	return g, err
}

// Groups returns every group, ordered by id.
func (db *DB) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	err := db.view(ctx, "groups", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGroups).ForEach(func(k, _ []byte) error {
			g, err := getGroup(tx, string(k))
			out = append(out, g)
			return err
		})
	})
	return out, err
}

// ChatLink ties a chat user to a member of a group, so that "/paid" from
// the user means that member.
type ChatLink struct {
	GroupID  string   `json:"group"`
	User     ChatUser `json:"user"`
	MemberID string   `json:"member"`
}

func chatLinkKey(groupID string, u ChatUser) []byte {
	return []byte(groupID + "\x00" + u.String())
}

// LinkChatUser links a chat user to a member (replacing an earlier link of
// the same user in the group). The change is audited.
func (db *DB) LinkChatUser(ctx context.Context, actor, groupID string, u ChatUser, memberID string) error {
	if !u.valid() {
		return fmt.Errorf("store: link chat user: %w: user %q", ErrInvalid, u.String())
	}
	return db.update(ctx, "link chat user", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		if _, ok := g.Member(memberID); !ok {
			return fmt.Errorf("member %q: %w", memberID, ErrNotFound)
		}
		b := tx.Bucket(bucketChatLinks)
		k := chatLinkKey(groupID, u)
		var before json.RawMessage
		if old := b.Get(k); old != nil {
			before = rawJSON(ChatLink{GroupID: groupID, User: u, MemberID: string(old)})
		}
		if err := b.Put(k, []byte(memberID)); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionChatLink, GroupID: groupID, Target: u.String(),
			Before: before, After: rawJSON(ChatLink{GroupID: groupID, User: u, MemberID: memberID})})
	})
}

// UnlinkChatUser removes a chat user's link in a group. The change is
// audited; unlinking a user who is not linked is not an error.
func (db *DB) UnlinkChatUser(ctx context.Context, actor, groupID string, u ChatUser) error {
	return db.update(ctx, "unlink chat user", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChatLinks)
		k := chatLinkKey(groupID, u)
		old := b.Get(k)
		if old == nil {
			return nil
		}
		before := rawJSON(ChatLink{GroupID: groupID, User: u, MemberID: string(old)})
		if err := b.Delete(k); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionChatUnlink, GroupID: groupID, Target: u.String(), Before: before})
	})
}

// ChatUserMember returns the member a chat user is linked to in a group.
func (db *DB) ChatUserMember(ctx context.Context, groupID string, u ChatUser) (string, error) {
	var id string
	err := db.view(ctx, "chat user member", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketChatLinks).Get(chatLinkKey(groupID, u))
		if v == nil {
			return fmt.Errorf("chat user %q: %w", u.String(), ErrNotFound)
		}
		id = string(v)
		return nil
	})
	return id, err
}

// ChatLinks returns a group's chat user links.
func (db *DB) ChatLinks(ctx context.Context, groupID string) ([]ChatLink, error) {
	var out []ChatLink
	err := db.view(ctx, "chat links", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketChatLinks).Cursor()
		p := []byte(groupID + "\x00")
		for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
			u, err := ParseChatUser(string(k[len(p):]))
			if err != nil {
				return err
			}
			out = append(out, ChatLink{GroupID: groupID, User: u, MemberID: string(v)})
		}
		return nil
	})
	return out, err
}
