package model

import (
	"fmt"
	"strings"

	"sori/internal/evidence"
)

// Records of how a team works on the archive: review steps, four-eyes
// approval requests and archive settings. Like voids, they are made by
// their own commands only (sori review, sori approve, sori settings), not
// by record commands or import, so Kinds leaves them out; each is signed
// and logged like any record, and the state they describe is derived from
// them, never stored in place.
const (
	KindReview   = "review"
	KindApproval = "approval"
	KindSetting  = "setting"
)

// Review steps.
const (
	StepRequest = "request" // the author asks for review of the record's current version
	StepApprove = "approve" // a second user found that version right
	StepReject  = "reject"  // a second user sent it back to its author
)

// Review is one step in the review of a record (a testimony or any other
// record). Each step is a record of its own, at version 1; Seq numbers
// the steps of one target 1, 2, 3… so that their order does not rest on
// clocks. Version is the target's version the step is about: an edit of
// the target makes its state draft again.
type Review struct {
	Target  evidence.ID `json:"target"`
	Seq     int         `json:"seq"`
	Version int         `json:"version"`
	Step    string      `json:"step"`
	Note    string      `json:"note,omitempty"`
}

func (*Review) Kind() string { return KindReview }

func (r *Review) Validate() error {
	var c checker
	c.id("target", r.Target)
	c.oneOf("step", r.Step, StepRequest, StepApprove, StepReject)
	c.text("note", r.Note, maxLong, false)
	if c.err == nil && r.Step == "" {
		c.err = fmt.Errorf("%w: step is required", evidence.ErrInvalid)
	}
	if c.err == nil && (r.Seq < 1 || r.Version < 1) {
		c.err = fmt.Errorf("%w: review step %d of version %d: both count from 1", evidence.ErrInvalid, r.Seq, r.Version)
	}
	return c.err
}

func (r *Review) Refs() []Ref { return ref("reviewed", &r.Target) }

// A review note is about the work, not testimony: not searched.
func (r *Review) Text() string { return "" }

// Approval actions and states.
const (
	ActionExport  = "export"
	ActionPublish = "publish"

	ApprovalPending  = "pending"  // version 1: the request
	ApprovalApproved = "approved" // a second user with the action's role agreed
	ApprovalDenied   = "denied"   // a second user refused it: it can never run
	ApprovalRefused  = "refused"  // someone tried to approve or deny and was not allowed: logged, state unchanged
	ApprovalDone     = "done"     // the requester ran it (once)
)

// Approval is a request that an export or a publication, which the
// archive's four-eyes setting holds back, be approved by a second user.
// Its versions are its history: pending (the requester), then approved or
// denied (another user), then done (the requester, in the same
// transaction as the export or publication entry); refused attempts are
// versions too. Items and Recipients (export) or Formats (publish) are
// what was asked for: the run must ask for exactly the same.
type Approval struct {
	Action     string        `json:"action"`
	State      string        `json:"state"`
	Items      []evidence.ID `json:"items,omitempty"`
	Recipients []string      `json:"recipients,omitempty"`
	Formats    []string      `json:"formats,omitempty"`
	Note       string        `json:"note,omitempty"`
	By         string        `json:"by,omitempty"` // user ID of the one who requested it (copied into every version)
}

func (*Approval) Kind() string { return KindApproval }

func (p *Approval) Validate() error {
	var c checker
	c.oneOf("action", p.Action, ActionExport, ActionPublish)
	c.oneOf("state", p.State, ApprovalPending, ApprovalApproved, ApprovalDenied, ApprovalRefused, ApprovalDone)
	c.text("note", p.Note, maxLong, false)
	c.text("by", p.By, maxShort, true)
	if c.err == nil && (p.Action == "" || p.State == "") {
		c.err = fmt.Errorf("%w: an approval request needs an action and a state", evidence.ErrInvalid)
	}
	if c.err == nil && p.Action == ActionExport && len(p.Items) == 0 {
		c.err = fmt.Errorf("%w: an export request names its items", evidence.ErrInvalid)
	}
	if c.err == nil && p.Action == ActionPublish && len(p.Formats) == 0 {
		c.err = fmt.Errorf("%w: a publication request names its formats", evidence.ErrInvalid)
	}
	for _, r := range p.Recipients {
		c.text("recipient", r, maxShort, true)
	}
	for _, f := range p.Formats {
		c.text("format", f, maxShort, true)
	}
	return c.err
}

// The items of an export request are not references a record makes: an
// approval is about an act, and a voided item stays named in it.
func (p *Approval) Refs() []Ref  { return nil }
func (p *Approval) Text() string { return "" }

// Settings an admin may change.
const (
	// SettingFourEyes lists (comma-separated) the actions that need a
	// second user's approval: "", "export", "publish" or "export,publish".
	SettingFourEyes = "four-eyes"
)

// Setting is an archive-wide setting: one record per name, a change is a
// new version.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (*Setting) Kind() string { return KindSetting }

func (s *Setting) Validate() error {
	var c checker
	c.oneOf("setting", s.Name, SettingFourEyes)
	c.text("value", s.Value, maxShort, false)
	if c.err == nil && s.Name == "" {
		c.err = fmt.Errorf("%w: name the setting", evidence.ErrInvalid)
	}
	if c.err == nil && s.Name == SettingFourEyes && s.Value != "" {
		for _, a := range strings.Split(s.Value, ",") {
			c.oneOf("four-eyes action", a, ActionExport, ActionPublish)
			if c.err == nil && a == "" {
				c.err = fmt.Errorf("%w: four-eyes: an empty action in %q", evidence.ErrInvalid, s.Value)
			}
		}
	}
	return c.err
}

func (s *Setting) Refs() []Ref  { return nil }
func (s *Setting) Text() string { return "" }

// KindTag is a tag on a record: a team's own label ("needs translation",
// "case 3"), set and lifted in bulk from the web app.
const KindTag = "tag"

// MaxTagLen bounds a tag, in bytes (60 Hangul syllables).
const MaxTagLen = 180

// Tag is one tag on one record: one record per (target, tag); Removed, as
// a later version, lifts it, and a later version again puts it back. The
// tag is the team's free text: it is shown through the disclosure guard
// and not searched.
type Tag struct {
	Target  evidence.ID `json:"target"`
	Tag     string      `json:"tag"`
	Removed bool        `json:"removed,omitempty"`
}

func (*Tag) Kind() string { return KindTag }

func (t *Tag) Validate() error {
	var c checker
	c.id("target", t.Target)
	c.text("tag", t.Tag, MaxTagLen, true)
	if c.err == nil && strings.ContainsAny(t.Tag, "\x00\r\n\t") {
		c.err = fmt.Errorf("%w: a tag is one line", evidence.ErrInvalid)
	}
	return c.err
}

// A tag refers to its target, as a review step does: a tag on a record in
// a compartment is kept in that compartment.
func (t *Tag) Refs() []Ref  { return ref("tagged", &t.Target) }
func (t *Tag) Text() string { return "" }
