package archive

import (
	"context"
	"fmt"
	"slices"

	"sori/internal/custody"
	"sori/internal/evidence"
	"sori/internal/model"
	"sori/internal/publish"
	"sori/internal/store"
)

// Publication (docs/publish.md) is a projection: a public dataset derived
// from the records under each witness's consent, with every redaction
// listed. The archive is read, never changed; only the publish custody
// entry (RecordPublication) is written.

// Publication is a dataset built in memory, its files and what was done
// to build it.
type Publication struct {
	ID       string           // random, the object of the publish custody entry
	Dataset  *publish.Dataset // the dataset
	Files    []publish.File   // the files to write, the manifest last
	Manifest []byte           // canonical manifest bytes
	Digest   evidence.Digest  // SHA-256 of Manifest: what the custody entry commits to
	Report   PublishReport    // every redaction, coarsening and exclusion
}

// PublishReport lists what publication withheld or changed. It names
// archive IDs, offsets, reasons and labels, never a redacted text.
type PublishReport struct {
	Redactions  []ReportRedaction  `json:"redactions"`
	Coarsenings []ReportCoarsening `json:"coarsenings"`
	Pseudonyms  []ReportPseudonym  `json:"pseudonyms"`
	Excluded    []ReportExcluded   `json:"excluded"`
	// FreeText counts the places, dates and contacts found written in free
	// text and coarsened or replaced (listed among Redactions by source
	// place, date and contact): what 'publish --strict' refuses.
	FreeText int `json:"free_text"`
}

// ReportRedaction is one replaced span: of a transcript item (Item) or of
// a text field of a record (Record, Field). Source is "redaction" (a
// redaction record, with its ID and reason), "name" (the name guard, with
// the label the name was published as), or "place", "date" or "contact"
// (free text finer than consent allows, or a phone number or e-mail
// address: publish_scan.go).
type ReportRedaction struct {
	Item      string `json:"item,omitempty"`
	Record    string `json:"record,omitempty"`
	Field     string `json:"field,omitempty"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Source    string `json:"source"`
	Redaction string `json:"redaction,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Label     string `json:"label,omitempty"`
}

// ReportCoarsening is one field published less precisely than recorded
// (To is "" when it is withheld).
type ReportCoarsening struct {
	Kind      string `json:"kind"`
	Record    string `json:"record"`
	Field     string `json:"field"`
	From      string `json:"from"`
	To        string `json:"to"`
	Precision string `json:"precision"`
}

// ReportPseudonym is a person published under a label instead of a name.
type ReportPseudonym struct {
	Person string `json:"person"`
	Label  string `json:"label"`
	Why    string `json:"why"` // protected, or victim under anonymized consent
}

// ReportExcluded is a testimony, event or item left out, and why.
type ReportExcluded struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Publish builds the public dataset of everything consent allows, as the
// files of formats (publish.ParseFormats), and what it withheld. It
// changes nothing: the caller writes the files and then records the
// publication with RecordPublication (a dry run does not).
func (a *Archive) Publish(ctx context.Context, formats []string) (*Publication, error) {
	if err := a.allow(OpPublish); err != nil {
		return nil, a.denied(ctx, OpPublish, 0, err)
	}
	if len(formats) == 0 {
		return nil, fmt.Errorf("%w: give at least one format", evidence.ErrInvalid)
	}
	b, err := a.newPubBuilder(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.build(ctx); err != nil {
		return nil, err
	}
	d, err := a.disclosure(ctx)
	if err != nil {
		return nil, err
	}
	// The report is read by the publisher: what they may not see of it (a
	// redaction's reason that names someone) is masked like any other view.
	p := &Publication{ID: evidence.NewID().String(), Dataset: b.ds, Report: discloseAs(d, b.rep)}
	b.ds.Publication = p.ID
	p.Files, p.Manifest = publish.Render(b.ds, formats)
	p.Digest = evidence.Sum(p.Manifest)
	return p, nil
}

// RecordPublication appends the publish custody entry of p (object: its
// ID; digest: its manifest's SHA-256) and seals the log.
//
// When the archive's four eyes covers publish, it is refused
// (evidence.ErrPending): pass PublishGate before writing the files, and
// record with RecordPublicationApproved.
func (a *Archive) RecordPublication(ctx context.Context, p *Publication) error {
	return a.RecordPublicationApproved(ctx, p, "", nil)
}

// RecordPublicationApproved is RecordPublication under the approved
// four-eyes request (ID or unique prefix) for formats, which it marks done
// in the same transaction; with request "" it is RecordPublication.
func (a *Archive) RecordPublicationApproved(ctx context.Context, p *Publication, request string, formats []string) error {
	if err := a.allow(OpPublish); err != nil {
		return err
	}
	if p == nil || p.ID == "" || evidence.Sum(p.Manifest) != p.Digest {
		return fmt.Errorf("%w: not a publication built by Publish", evidence.ErrInvalid)
	}
	var reqID evidence.ID
	if request != "" {
		var err error
		if reqID, err = a.resolveRecord(ctx, request); err != nil {
			return err
		}
	}
	_, err := a.change(ctx, OpPublish, func(tx store.Tx, l *logger) error {
		if request != "" {
			if err := a.useApproval(ctx, tx, l, reqID, model.Approval{Action: model.ActionPublish, Formats: canonFormats(formats)}); err != nil {
				return err
			}
		} else if need, err := a.needsApproval(ctx, tx, model.ActionPublish); err != nil {
			return err
		} else if need {
			return fmt.Errorf("%w: this archive needs a second user's approval to publish (four eyes): ask with 'sori publish' (PublishGate) first", evidence.ErrPending)
		}
		return l.append(ctx, custody.KindPublish, p.ID, 0, p.Digest, evidence.Digest{})
	})
	return err
}

// policy is what publication may do with one record: the most
// restrictive consent among the testimonies it is reached from.
type policy struct {
	scope string // anonymized or named
	place string // place_precision
	date  string // date_precision
}

func policyOf(c model.Consent) policy {
	p := policy{scope: c.Scope, place: c.PlacePrecision, date: c.DatePrecision}
	if p.place == "" {
		p.place = "province"
	}
	if p.date == "" {
		p.date = "year"
	}
	return p
}

// and is the more restrictive of p and q in every respect.
func (p policy) and(q policy) policy {
	if p.scope == "" {
		return q
	}
	if !ScopeAllows(q.scope, p.scope) {
		p.scope = q.scope
	}
	p.place = coarserPlace(p.place, q.place)
	p.date = publish.CoarserDatePrecision(p.date, q.date)
	return p
}

type recordOf[T any] struct {
	id   evidence.ID
	body T
}

// pubBuilder holds one publication's inputs and what it has built so far.
type pubBuilder struct {
	a   *Archive
	cv  *consentView
	ds  *publish.Dataset
	rep PublishReport

	testimonies  []recordOf[*model.Testimony]
	events       []recordOf[*model.Event]
	acts         []recordOf[*model.Act]
	involvements []recordOf[*model.Involvement]
	information  []recordOf[*model.Information]
	persons      map[evidence.ID]*model.Person
	personOrder  []evidence.ID
	places       map[evidence.ID]*model.Place
	withdrawn    map[string]bool // witness pseudonyms

	pubID      map[evidence.ID]string // archive record → publication ID
	placeIDs   map[string]bool        // Place IDs already in the dataset
	placeSeq   int
	labels     map[evidence.ID]string // person → published label
	labelKinds map[string]bool        // labels of persons guarded only under anonymized consent
	// voided are the records and items a void hides (void.go).
	voided map[evidence.ID]evidence.ID
	// sealedPersons are persons whose name is a sealed witness identity.
	sealedPersons map[evidence.ID]bool
	// anonLabels are the labels some anonymized text of the dataset used.
	anonLabels map[string]bool
	ownLabels  map[string]bool // every label this builder gave
	guard      *nameGuard
}

func (a *Archive) newPubBuilder(ctx context.Context) (*pubBuilder, error) {
	cv, err := a.readConsent(ctx)
	if err != nil {
		return nil, err
	}
	b := &pubBuilder{a: a, cv: cv,
		ds: &publish.Dataset{Format: publish.FormatName, Version: publish.Version,
			Testimonies: []publish.Testimony{}, Events: []publish.Event{}, Acts: []publish.Act{}, Involvements: []publish.Involvement{},
			Persons: []publish.Person{}, Places: []publish.Place{}, Information: []publish.Information{}, Transcripts: []publish.Transcript{}},
		rep:     PublishReport{Redactions: []ReportRedaction{}, Coarsenings: []ReportCoarsening{}, Pseudonyms: []ReportPseudonym{}, Excluded: []ReportExcluded{}},
		persons: map[evidence.ID]*model.Person{}, places: map[evidence.ID]*model.Place{}, withdrawn: map[string]bool{},
		pubID: map[evidence.ID]string{}, placeIDs: map[string]bool{}, labels: map[evidence.ID]string{}, labelKinds: map[string]bool{}, ownLabels: map[string]bool{},
		sealedPersons: map[evidence.ID]bool{}, anonLabels: map[string]bool{},
	}
	rows, err := a.db.VaultRows(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Withdrawn {
			b.withdrawn[r.Pseudonym] = true
		}
	}
	voided, err := a.voided(ctx)
	if err != nil {
		return nil, err
	}
	b.voided = voided
	err = a.eachCurrent(ctx, "", func(id evidence.ID, body model.Body) error {
		if _, ok := voided[id]; ok {
			b.exclude(body.Kind(), id, "voided")
			return nil
		}
		switch r := body.(type) {
		case *model.Testimony:
			b.testimonies = append(b.testimonies, recordOf[*model.Testimony]{id, r})
		case *model.Event:
			b.events = append(b.events, recordOf[*model.Event]{id, r})
		case *model.Act:
			b.acts = append(b.acts, recordOf[*model.Act]{id, r})
		case *model.Involvement:
			b.involvements = append(b.involvements, recordOf[*model.Involvement]{id, r})
		case *model.Information:
			b.information = append(b.information, recordOf[*model.Information]{id, r})
		case *model.Person:
			b.persons[id] = r
			b.personOrder = append(b.personOrder, id)
		case *model.Place:
			b.places[id] = r
		}
		return nil
	})
	return b, err
}

func (b *pubBuilder) exclude(kind string, id evidence.ID, reason string) {
	b.rep.Excluded = append(b.rep.Excluded, ReportExcluded{Kind: kind, ID: id.String(), Reason: reason})
}

func (b *pubBuilder) build(ctx context.Context) error {
	// Testimonies whose consent allows anonymized publication, of
	// witnesses who have not withdrawn.
	allowed := map[evidence.ID]policy{}
	for _, t := range b.testimonies {
		c, recorded := b.cv.of(t.id)
		switch {
		case b.withdrawn[t.body.Witness]:
			b.exclude(model.KindTestimony, t.id, "the witness withdrew (identity vault)")
		case !recorded:
			b.exclude(model.KindTestimony, t.id, "no consent recorded: internal use only")
		case !ScopeAllows(c.Scope, ScopeAnonymized):
			b.exclude(model.KindTestimony, t.id, "consent: "+scopeLabel(c.Scope))
		default:
			allowed[t.id] = policyOf(c)
		}
	}
	// Events: reached through information from a testimony; published only
	// if every testimony that tells of it allows publication.
	reach := map[evidence.ID][]evidence.ID{}
	for _, in := range b.information {
		if _, ok := b.cv.testimony[in.body.Source]; ok {
			reach[in.body.Event] = append(reach[in.body.Event], in.body.Source)
		}
	}
	evPolicy := map[evidence.ID]policy{}
	for _, e := range b.events {
		var p policy
		ok := len(reach[e.id]) > 0
		anyAllowed := false
		for _, t := range reach[e.id] {
			q, yes := allowed[t]
			anyAllowed = anyAllowed || yes
			if !yes {
				ok = false
				continue
			}
			p = p.and(q)
		}
		if !ok {
			if anyAllowed {
				b.exclude(model.KindEvent, e.id, "also told by a testimony whose consent does not allow publication")
			}
			continue
		}
		evPolicy[e.id] = p
	}
	actPolicy := map[evidence.ID]policy{}
	for _, x := range b.acts {
		if p, ok := evPolicy[x.body.Event]; ok {
			actPolicy[x.id] = p
		}
	}
	invPolicy := map[evidence.ID]policy{}
	for _, x := range b.involvements {
		if p, ok := actPolicy[x.body.Act]; ok {
			invPolicy[x.id] = p
		}
	}
	// Persons: victims of published acts and perpetrators of published
	// involvements, under the most restrictive policy of what reaches them.
	perPolicy := map[evidence.ID]policy{}
	victimAnon := map[evidence.ID]bool{}
	anyVictim := map[evidence.ID]bool{}
	for _, x := range b.acts {
		if x.body.Victim == nil {
			continue
		}
		anyVictim[*x.body.Victim] = true
		if p, ok := actPolicy[x.id]; ok {
			perPolicy[*x.body.Victim] = perPolicy[*x.body.Victim].and(p)
			if p.scope == ScopeAnonymized {
				victimAnon[*x.body.Victim] = true
			}
		}
	}
	for _, x := range b.involvements {
		if p, ok := invPolicy[x.id]; ok {
			perPolicy[x.body.Perpetrator] = perPolicy[x.body.Perpetrator].and(p)
		}
	}
	if err := b.labelPersons(ctx, perPolicy, victimAnon, anyVictim); err != nil {
		return err
	}

	// Now the dataset, in record order.
	n := 0
	for _, t := range b.testimonies {
		p, ok := allowed[t.id]
		if !ok {
			continue
		}
		n++
		id := fmt.Sprintf("testimony-%d", n)
		b.pubID[t.id] = id
		pt := publish.Testimony{ID: id, Witness: t.body.Witness, Title: b.text(t.id, "title", t.body.Title, p), Languages: t.body.Languages,
			Date: b.date(model.KindTestimony, t.id, "date", t.body.Date, p), Scope: p.scope}
		pt.Place = b.place(model.KindTestimony, t.id, "place", t.body.Place, p)
		b.ds.Testimonies = append(b.ds.Testimonies, pt)
	}
	n = 0
	for _, e := range b.events {
		p, ok := evPolicy[e.id]
		if !ok {
			continue
		}
		n++
		id := fmt.Sprintf("event-%d", n)
		b.pubID[e.id] = id
		pe := publish.Event{ID: id, Title: b.text(e.id, "title", e.body.Title, p), Description: b.text(e.id, "description", e.body.Description, p),
			Date: b.date(model.KindEvent, e.id, "date", e.body.Date, p), Violations: e.body.Violations, Status: e.body.Status}
		for _, pl := range e.body.Places {
			if pid := b.place(model.KindEvent, e.id, "places", pl, p); pid != "" && !slices.Contains(pe.Places, pid) {
				pe.Places = append(pe.Places, pid)
			}
		}
		b.ds.Events = append(b.ds.Events, pe)
	}
	b.addPersons(perPolicy)
	n = 0
	for _, x := range b.acts {
		p, ok := actPolicy[x.id]
		if !ok {
			continue
		}
		n++
		id := fmt.Sprintf("act-%d", n)
		b.pubID[x.id] = id
		pa := publish.Act{ID: id, Event: b.pubID[x.body.Event], Violation: x.body.Violation,
			Date: b.date(model.KindAct, x.id, "date", x.body.Date, p), StatusAtEnd: b.text(x.id, "status_at_end", x.body.StatusAtEnd, p)}
		if x.body.Victim != nil {
			pa.Victim = b.pubID[*x.body.Victim]
		}
		pa.Place = b.place(model.KindAct, x.id, "place", x.body.Place, p)
		b.ds.Acts = append(b.ds.Acts, pa)
	}
	n = 0
	for _, x := range b.involvements {
		if _, ok := invPolicy[x.id]; !ok {
			continue
		}
		n++
		id := fmt.Sprintf("involvement-%d", n)
		b.pubID[x.id] = id
		b.ds.Involvements = append(b.ds.Involvements, publish.Involvement{ID: id, Act: b.pubID[x.body.Act], Perpetrator: b.pubID[x.body.Perpetrator],
			Degree: x.body.Degree, PerpetratorType: x.body.PerpetratorType})
	}
	n = 0
	for _, x := range b.information {
		_, tOK := allowed[x.body.Source]
		_, eOK := evPolicy[x.body.Event]
		if !tOK || !eOK {
			continue
		}
		n++
		b.ds.Information = append(b.ds.Information, publish.Information{ID: fmt.Sprintf("information-%d", n), Source: b.pubID[x.body.Source],
			Event: b.pubID[x.body.Event], Connection: x.body.Connection, Reliability: x.body.Reliability, Credibility: x.body.Credibility})
	}
	for _, t := range b.testimonies {
		if p, ok := allowed[t.id]; ok {
			if err := b.transcripts(ctx, t.id, t.body, p); err != nil {
				return err
			}
		}
	}
	b.pseudonymizeUsed()
	return nil
}

// pseudonymizeUsed makes a person whose label some published text used
// ("[Person 1]" in a transcript) a pseudonym in the dataset too: a person
// pseudonymized anywhere in a dataset is pseudonymized everywhere in it,
// or the label would name them.
func (b *pubBuilder) pseudonymizeUsed() {
	for _, id := range b.personOrder {
		label, ok := b.labels[id]
		if !ok {
			continue
		}
		pid, published := b.pubID[id]
		if !published || !b.anonLabels[label] {
			continue
		}
		for i, p := range b.ds.Persons {
			if p.ID != pid || p.Protected {
				continue
			}
			b.ds.Persons[i] = publish.Person{ID: pid, Name: label, Protected: true, CountingUnit: p.CountingUnit}
			b.rep.Pseudonyms = append(b.rep.Pseudonyms, ReportPseudonym{Person: id.String(), Label: label, Why: "pseudonymized in published text"})
		}
	}
}

// labelPersons gives a label to every person publication must not name —
// protected persons anywhere, and victims (guarded in the text of
// anonymized testimonies) — and builds the name guard over their names.
// Persons in the dataset are numbered first, in record order.
func (b *pubBuilder) labelPersons(ctx context.Context, perPolicy map[evidence.ID]policy, victimAnon, anyVictim map[evidence.ID]bool) error {
	// A person whose name is a witness's sealed identity is never named:
	// labelled like a protected person, whatever consent says.
	sealedGuard, err := b.a.newNameGuard(ctx, nil)
	if err != nil {
		return err
	}
	for _, id := range b.personOrder {
		for _, n := range b.persons[id].Names {
			for _, sp := range sealedGuard.findEntries(n) {
				if sp.entry != "" && !sp.given {
					b.sealedPersons[id] = true
				}
			}
		}
	}
	var inSet, rest []evidence.ID
	for _, id := range b.personOrder {
		p := b.persons[id]
		if !p.Protected && !anyVictim[id] && !b.sealedPersons[id] {
			continue
		}
		if _, ok := perPolicy[id]; ok && (p.Protected || victimAnon[id] || b.sealedPersons[id]) {
			inSet = append(inSet, id)
		} else {
			rest = append(rest, id)
		}
	}
	used := map[string]bool{}
	for _, id := range b.personOrder {
		if p := b.persons[id]; p.Pseudonym != "" {
			used[p.Pseudonym] = true
		}
	}
	n := 0
	var protected []ProtectedName
	for _, id := range append(inSet, rest...) {
		p := b.persons[id]
		label := p.Pseudonym
		for label == "" || (p.Pseudonym == "" && used[label]) {
			n++
			label = fmt.Sprintf("Person %d", n)
		}
		used[label] = true
		b.labels[id] = label
		b.ownLabels[label] = true
		if !p.Protected && !b.sealedPersons[id] {
			b.labelKinds[label] = true // a victim: guarded under anonymized consent only
		}
		if victimAnon[id] {
			b.anonLabels[label] = true
		}
		protected = append(protected, ProtectedName{Label: label, Names: append(append([]string{}, p.Names...), p.Aliases...)})
	}
	g, err := b.a.newNameGuard(ctx, protected)
	if err != nil {
		return err
	}
	b.guard = g
	return nil
}

func (b *pubBuilder) addPersons(perPolicy map[evidence.ID]policy) {
	n := 0
	for _, id := range b.personOrder {
		pol, ok := perPolicy[id]
		if !ok {
			continue
		}
		p := b.persons[id]
		n++
		pid := fmt.Sprintf("person-%d", n)
		b.pubID[id] = pid
		label, hasLabel := b.labels[id]
		// A person pseudonymized anywhere in the dataset (a victim under
		// one anonymized testimony, say) is pseudonymized everywhere in it:
		// "[Person 1]" in a transcript must not be person-1 by name.
		if p.Protected || b.sealedPersons[id] || (hasLabel && b.anonLabels[label]) {
			why := "protected"
			switch {
			case b.sealedPersons[id]:
				why = "sealed identity"
			case !p.Protected:
				why = "victim under anonymized consent"
			}
			b.ds.Persons = append(b.ds.Persons, publish.Person{ID: pid, Name: label, Protected: true, CountingUnit: p.CountingUnit})
			b.rep.Pseudonyms = append(b.rep.Pseudonyms, ReportPseudonym{Person: id.String(), Label: label, Why: why})
			continue
		}
		names := append(append([]string{}, p.Names...), p.Aliases...)
		b.ds.Persons = append(b.ds.Persons, publish.Person{ID: pid, Name: p.Names[0], Names: names, Sex: p.Sex, BirthYear: p.BirthYear,
			CountingUnit: p.CountingUnit, Unit: b.text(id, "unit", p.Unit, pol)})
	}
}

// spans are the name guard's spans of s that policy p must hide, as
// markers: a person's label, or Redacted for a name the guard knows but
// this builder did not label (a sealed name).
func (b *pubBuilder) spans(s string, p policy) ([]publish.Span, []NameSpan) {
	var out []publish.Span
	var found []NameSpan
	for _, sp := range b.guard.Find(s) {
		if b.labelKinds[sp.Label] && p.scope != ScopeAnonymized {
			continue
		}
		marker := publish.Redacted
		if b.ownLabels[sp.Label] {
			marker = "[" + sp.Label + "]"
			b.anonLabels[sp.Label] = true // the label now stands for them here
		}
		out = append(out, publish.Span{Start: sp.Start, End: sp.End, Marker: marker})
		found = append(found, sp)
	}
	return out, found
}

// text is a record's free-text field with the names it must not show
// replaced, each replacement reported.
func (b *pubBuilder) text(id evidence.ID, field, s string, p policy) string {
	if s == "" {
		return ""
	}
	spans, found := b.spans(s, p)
	for _, sp := range found {
		b.rep.Redactions = append(b.rep.Redactions, ReportRedaction{Record: id.String(), Field: field, Start: sp.Start, End: sp.End, Source: "name", Label: sp.Label})
	}
	spans = b.withFree(s, spans, p, func(start, end int, source string) {
		b.rep.Redactions = append(b.rep.Redactions, ReportRedaction{Record: id.String(), Field: field, Start: start, End: end, Source: source})
		b.rep.FreeText++
	})
	out, _ := publish.Apply([]byte(s), spans)
	return out
}

func (b *pubBuilder) date(kind string, id evidence.ID, field string, d model.Date, p policy) string {
	c := publish.CoarsenDate(d, p.date)
	if c != d {
		b.rep.Coarsenings = append(b.rep.Coarsenings, ReportCoarsening{Kind: kind, Record: id.String(), Field: field, From: d.String(), To: c.String(), Precision: p.date})
	}
	return c.String()
}

// transcripts adds the redacted text of a testimony's original and
// translations that are text, unless its consent says no_text.
func (b *pubBuilder) transcripts(ctx context.Context, tid evidence.ID, t *model.Testimony, p policy) error {
	var items []evidence.ID
	roles := map[evidence.ID]string{}
	for _, it := range t.OriginalItems() {
		if _, dup := roles[it]; !dup {
			items = append(items, it)
			roles[it] = "original"
		}
	}
	for _, it := range t.Translations {
		if _, dup := roles[it]; !dup {
			items = append(items, it)
			roles[it] = "translation"
		}
	}
	if c, _ := b.cv.of(tid); c.NoText {
		for _, id := range items {
			b.exclude("item", id, "consent: no_text (transcript text is never published)")
		}
		return nil
	}
	for _, id := range items {
		if _, ok := b.voided[id]; ok {
			b.exclude("item", id, "voided")
			continue
		}
		it, err := b.a.db.Item(ctx, id)
		if err != nil {
			return err
		}
		v, err := b.a.db.LatestVersion(ctx, id)
		if err != nil {
			return err
		}
		rec, err := b.a.decodeVersion(ctx, v)
		if isRestricted(err) {
			b.exclude("item", id, "in a compartment")
			continue
		}
		if err != nil {
			return err
		}
		if rec.Kind == evidence.Audio || rec.Kind == evidence.Video || rec.Kind == evidence.Image {
			b.exclude("item", id, "not text: "+string(rec.Kind)+" bytes are never published")
			continue
		}
		if it.Size > maxRedactText {
			b.exclude("item", id, "larger than a transcript")
			continue
		}
		raw, err := b.a.itemBytes(ctx, it)
		if err != nil {
			return err
		}
		if !looksLikeText(raw) {
			b.exclude("item", id, "not UTF-8 text")
			continue
		}
		text, err := b.redact(ctx, it, raw, p)
		if err != nil {
			return err
		}
		b.ds.Transcripts = append(b.ds.Transcripts, publish.Transcript{ID: fmt.Sprintf("transcript-%d", len(b.ds.Transcripts)+1),
			Testimony: b.pubID[tid], Role: roles[id], Lang: rec.Lang, Text: text.s, Redactions: text.n})
	}
	return nil
}

type redactedText struct {
	s string
	n int
}

// redact replaces the spans of raw that redaction records and the name
// guard hide. raw is a copy; the item is not touched.
func (b *pubBuilder) redact(ctx context.Context, it store.Item, raw []byte, p policy) (redactedText, error) {
	rs, err := b.a.redactions(ctx, it.ID)
	if err != nil {
		return redactedText{}, err
	}
	var spans []publish.Span
	for _, r := range rs {
		if r.Withdrawn {
			continue
		}
		spans = append(spans, publish.Span{Start: r.Start, End: r.End, Marker: publish.Redacted})
		b.rep.Redactions = append(b.rep.Redactions, ReportRedaction{Item: it.ID.String(), Start: r.Start, End: r.End, Source: "redaction", Redaction: r.ID.String(), Reason: r.Reason})
	}
	names, found := b.spans(string(raw), p)
	for _, sp := range found {
		b.rep.Redactions = append(b.rep.Redactions, ReportRedaction{Item: it.ID.String(), Start: sp.Start, End: sp.End, Source: "name", Label: sp.Label})
	}
	spans = b.withFree(string(raw), append(spans, names...), p, func(start, end int, source string) {
		b.rep.Redactions = append(b.rep.Redactions, ReportRedaction{Item: it.ID.String(), Start: start, End: end, Source: source})
		b.rep.FreeText++
	})
	s, n := publish.Apply(raw, spans)
	return redactedText{s, n}, nil
}
