package archive

import (
	"fmt"
	"slices"
	"strings"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/seal"
)

// Roles. A user holds one or more (the first admin of an archive holds
// admin and protection); what each allows is the matrix below, the one
// place roles are enforced. docs/roles.md shows the same matrix, and a test
// holds the two together.
const (
	RoleAdmin        = "admin"        // everything, including users
	RoleProtection   = "protection"   // what investigators do, and alone, the identity vault
	RoleInvestigator = "investigator" // intake, edits, records, export, reading
	RoleAnalyst      = "analyst"      // records and annotations, reading; no intake, no export
	RoleReader       = "reader"       // reading only
)

// roleRemoved is the role of a removed user. It allows nothing; the row
// stays so that the entries the user signed can still be checked.
const roleRemoved = "removed"

// Roles returns the roles in the order of the matrix.
func Roles() []string {
	return []string{RoleAdmin, RoleProtection, RoleInvestigator, RoleAnalyst, RoleReader}
}

// Op is an operation on an archive, as the role matrix knows it. Every
// exported method of Archive and Inspector that touches the archive's
// contents checks one, first thing, with allow.
type Op int

const (
	OpList        Op = iota // list items or records (ls)
	OpShow                  // an item's or a record's metadata and versions; resolving IDs (show)
	OpCat                   // an item's original bytes (cat)
	OpSearch                // search
	OpLog                   // custody entries (log)
	OpCheckpoint            // the signed checkpoint (checkpoint)
	OpVerify                // the verification view of every stored row and byte (verify)
	OpAdd                   // intake of evidence (add)
	OpEdit                  // a new version of an item's record (edit)
	OpRecordAdd             // new model records: testimony, event, …, annotation (import too)
	OpRecordEdit            // a new version of a model record
	OpExport                // a court bundle (export)
	OpUserList              // the users and their roles (user ls)
	OpUserAdd               // a new user, granted the keys of their role (user add)
	OpUserRemove            // remove a user, revoking their keys (user rm)
	OpPasswd                // change one's own passphrase (passwd)
	OpVaultList             // the identity vault's pseudonyms and their status (witness ls)
	OpVaultOpen             // decrypt a witness's true names and contact (witness show)
	OpVaultWrite            // put a witness into the vault, or withdraw one (witness add, withdraw)
	OpConsent               // set a testimony's consent (consent set; consent records by any path)
	OpUserRole              // give a user a role or take one away (user role)
	OpRedact                // mark a span of a transcript as never to be published, list or withdraw marks (redact)
	OpPublish               // build a redacted public dataset of what consent allows (publish)
	OpVoid                  // hide a stray record or item from every view, or lift that (void)
	OpPurge                 // destroy an old version's body for good (purge): an admin who also holds protection
	OpWitnessLog            // configure the witnesses that cosign checkpoints (witness-log add)
	OpReview                // ask for review of a record, approve or reject it (review)
	OpApprove               // approve or deny another user's export or publication held back by four eyes (approve)
	OpSetting               // change an archive setting, such as four eyes (settings)
	OpMigrate               // copy the archive to other backends and switch to them (migrate)
	OpCompartment           // make a compartment, take a member out of one (compartment); members add members
	opCount
)

var opNames = [opCount]string{
	OpList: "list", OpShow: "show", OpCat: "cat", OpSearch: "search", OpLog: "log", OpCheckpoint: "checkpoint",
	OpVerify: "verify", OpAdd: "add", OpEdit: "edit", OpRecordAdd: "record-add", OpRecordEdit: "record-edit",
	OpExport: "export", OpUserList: "user-ls", OpUserAdd: "user-add", OpUserRemove: "user-rm", OpPasswd: "passwd",
	OpVaultList: "vault-ls", OpVaultOpen: "vault-open", OpVaultWrite: "vault-write", OpConsent: "consent",
	OpUserRole: "user-role", OpRedact: "redact", OpPublish: "publish", OpVoid: "void", OpPurge: "purge",
	OpWitnessLog: "witness-log", OpReview: "review", OpApprove: "approve", OpSetting: "setting", OpMigrate: "migrate",
	OpCompartment: "compartment",
}

func (o Op) String() string {
	if o < 0 || o >= opCount || opNames[o] == "" {
		return fmt.Sprintf("op(%d)", int(o))
	}
	return opNames[o]
}

// Ops returns every operation, in matrix order.
func Ops() []Op {
	ops := make([]Op, opCount)
	for i := range ops {
		ops[i] = Op(i)
	}
	return ops
}

var (
	everyone = []string{RoleAdmin, RoleProtection, RoleInvestigator, RoleAnalyst, RoleReader}
	writers  = []string{RoleAdmin, RoleProtection, RoleInvestigator, RoleAnalyst}
	intake   = []string{RoleAdmin, RoleProtection, RoleInvestigator}
	admins   = []string{RoleAdmin}
	// protection alone opens the identity vault: an admin only if they
	// also hold protection (the first admin does, until handing it over).
	protection = []string{RoleProtection}
)

// matrix lists, for each operation, the roles that may perform it. A row
// left out is nobody; the matrix test fails on it.
var matrix = [opCount][]string{
	OpList:        everyone,
	OpShow:        everyone,
	OpCat:         everyone,
	OpSearch:      everyone,
	OpLog:         everyone,
	OpCheckpoint:  everyone,
	OpVerify:      everyone,
	OpAdd:         intake,
	OpEdit:        intake,
	OpRecordAdd:   writers,
	OpRecordEdit:  writers,
	OpExport:      intake,
	OpUserList:    admins,
	OpUserAdd:     admins,
	OpUserRemove:  admins,
	OpPasswd:      everyone,
	OpVaultList:   protection,
	OpVaultOpen:   protection,
	OpVaultWrite:  protection,
	OpConsent:     intake,
	OpUserRole:    admins,
	OpRedact:      writers,
	OpPublish:     intake,
	OpVoid:        intake,
	OpPurge:       admins, // and protection too: see Permits
	OpWitnessLog:  admins,
	OpReview:      writers,
	OpApprove:     intake, // and the action's own operation too: see Approve
	OpSetting:     admins,
	OpMigrate:     admins,
	OpCompartment: admins,
}

// Permits reports whether a user holding roles (as stored: comma-separated)
// may perform op.
func Permits(roles string, op Op) bool {
	if op < 0 || op >= opCount {
		return false
	}
	if op == OpPurge && !slices.Contains(strings.Split(roles, ","), RoleProtection) {
		return false // destroying what was written needs both: the admin's and the protection officer's say
	}
	for _, r := range strings.Split(roles, ",") {
		if slices.Contains(matrix[op], r) {
			return true
		}
	}
	return false
}

// allow is the role check: every exported operation calls it first. The
// error wraps evidence.ErrForbidden (exit code 3).
func (a *Archive) allow(op Op) error {
	if a.stale() {
		return errStale
	}
	if Permits(a.me.Role, op) {
		return nil
	}
	if a.me.Role == roleRemoved {
		return fmt.Errorf("%w: this user was removed from the archive", evidence.ErrForbidden)
	}
	return fmt.Errorf("%w: role %s may not %s (see docs/roles.md)", evidence.ErrForbidden, a.me.Role, op)
}

// errStale refuses a session whose user's role was changed, or who was
// removed, after it was unlocked.
var errStale = fmt.Errorf("%w: your role in this archive changed since you unlocked it; unlock again", evidence.ErrLocked)

// ParseRoles checks a comma-separated list of roles and returns it in
// canonical form (matrix order, no repeats): what the users table stores.
func ParseRoles(s string) (string, error) {
	var have []string
	for _, r := range strings.Split(s, ",") {
		r = strings.ToLower(strings.TrimSpace(r))
		if !slices.Contains(Roles(), r) {
			return "", fmt.Errorf("%w: unknown role %q (one of %s)", evidence.ErrInvalid, r, strings.Join(Roles(), ", "))
		}
		have = append(have, r)
	}
	var out []string
	for _, r := range Roles() {
		if slices.Contains(have, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, ","), nil
}

// grantFor is which archive keys a user holding roles is given, beyond the
// database and content keys every member reads with: the item ID key to
// those who may add evidence, the log key to those who may record changes.
// The identity vault's key goes to protection alone (grantsVault); it is
// sealed apart from the keyring.
func grantFor(roles string) seal.Grant {
	g := seal.Grant{IDKey: Permits(roles, OpAdd)}
	for _, op := range writeOps {
		g.Log = g.Log || Permits(roles, op)
	}
	return g
}

// grantsVault reports whether a user holding roles is given the identity
// vault key.
func grantsVault(roles string) bool { return Permits(roles, OpVaultOpen) }

// writeOps are the operations that append custody entries, and so sign
// checkpoints with the log key. Reading a testimony's item in full (cat)
// is one: the read is audited, so a reader too holds the log key.
var writeOps = []Op{OpList, OpCat, OpPasswd, OpAdd, OpEdit, OpRecordAdd, OpRecordEdit, OpExport, OpUserAdd, OpUserRemove, OpVaultOpen, OpVaultWrite, OpConsent, OpUserRole, OpRedact, OpPublish, OpVoid, OpPurge, OpReview, OpApprove, OpSetting, OpCompartment}

// entryOps are, for each kind of custody entry, the operations that append
// it: a user may sign an entry of a kind only if their role allows one of
// them. The archive refuses to append any other (logger.append), and
// verification checks every entry against its signer's role at the time
// (verify/users.go), so a member who writes to the database behind sori's
// back cannot pass off an entry their role could not have made.
var entryOps = map[string][]Op{
	custody.KindInit:      {OpUserAdd}, // the first admin
	custody.KindIntake:    {OpAdd},
	custody.KindVersion:   {OpEdit},
	custody.KindExport:    {OpExport},
	custody.KindGrant:     {OpUserAdd, OpUserRole},
	custody.KindRevoke:    {OpUserRemove, OpUserRole},
	custody.KindLogKey:    {OpUserRemove, OpUserRole},
	custody.KindWitness:   {OpVaultWrite},
	custody.KindWithdraw:  {OpVaultWrite},
	custody.KindVaultOpen: {OpVaultOpen, OpVaultWrite},
	custody.KindRecord:    {OpRecordAdd, OpRecordEdit, OpRedact, OpConsent, OpVoid},
	custody.KindRead:      {OpCat},
	custody.KindPublish:   {OpPublish},
	custody.KindPurge:     {OpPurge},
	custody.KindShred:     {OpVaultWrite},
	// A refused export or publication is logged by whoever tried: every
	// role lists records.
	custody.KindDenied: {OpList},
	// Every role may list records, and so export what it may read; the
	// export is recorded (exportrecords.go).
	custody.KindRecordsExport: {OpList},
	// A user makes API tokens for themselves (as they change their own
	// passphrase); an admin may revoke anyone's (tokens.go), and sets
	// who must give a second factor (totp.go).
	custody.KindToken:       {OpPasswd},
	custody.KindTokenRevoke: {OpPasswd, OpUserRemove},
	custody.KindTOTP:        {OpUserRole},
	// An admin makes compartments and takes members out; a member who
	// writes records may add members (compartment.go).
	custody.KindCompartment: {OpCompartment, OpRecordAdd},
}

// EntryPermitted reports whether a user holding roles may sign a custody
// entry of kind; for a record entry, recordKind is the record's kind (""
// when unknown): a consent record takes the consent operation.
func EntryPermitted(roles, kind, recordKind string) bool {
	ops := entryOps[kind]
	if kind == custody.KindRecord && recordKind == model.KindConsent {
		ops = []Op{OpConsent}
	}
	if kind == custody.KindRecord && recordKind == model.KindVoid {
		ops = []Op{OpVoid}
	}
	if kind == custody.KindRecord {
		switch recordKind {
		case model.KindReview:
			ops = []Op{OpReview}
		case model.KindSetting:
			ops = []Op{OpSetting}
		case model.KindApproval:
			// Requests (export, publish), decisions (approve) and the
			// logged attempts of those refused (any role): the archive
			// decides which version a user may write (approval.go).
			ops = []Op{OpList}
		}
	}
	for _, op := range ops {
		if Permits(roles, op) {
			return true
		}
	}
	return false
}
