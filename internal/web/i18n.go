package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Every string the UI shows, in English and Korean. A test checks that each
// key has both and that every key a template uses is here.
var messages = map[string][2]string{ // key → {en, ko}
	"app":          {"sori evidence archive", "소리 증언 기록 보관소"},
	"skip":         {"Skip to content", "본문으로 건너뛰기"},
	"nav":          {"Main", "주 메뉴"},
	"nav.dash":     {"Dashboard", "대시보드"},
	"nav.search":   {"Search", "검색"},
	"nav.timeline": {"Timeline", "연표"},
	"nav.map":      {"Map", "지도"},
	"nav.log":      {"Custody log", "보관 이력"},
	"nav.publish":  {"Publish preview", "공개 미리보기"},
	"nav.vault":    {"Identity vault", "신원 금고"},
	"lang.other":   {"한국어", "English"},
	"lang.label":   {"Language: view in 한국어 (Korean)", "언어: View in English"},
	"signedin":     {"Logged in as", "로그인 사용자"},
	"logout":       {"Log out", "로그아웃"},
	"idle.warn":    {"You will be logged out in one minute because of inactivity.", "활동이 없어 1분 뒤 로그아웃됩니다."},
	"idle.stay":    {"Stay logged in", "로그인 유지"},

	"login.title":    {"Log in", "로그인"},
	"login.user":     {"User name", "사용자 이름"},
	"login.pass":     {"Passphrase", "암호 문구"},
	"login.code":     {"One-time code", "일회용 코드"},
	"login.codehelp": {"Only if your account requires a second factor: the 6 digits your authenticator app shows.", "계정에 2단계 인증이 설정된 경우에만: 인증 앱에 표시된 6자리 숫자."},
	"login.submit":   {"Log in", "로그인"},
	"login.bad":      {"Wrong user name or passphrase.", "사용자 이름 또는 암호 문구가 틀렸습니다."},
	"login.wait":     {"Too many failed attempts. Try again in %d seconds.", "실패한 시도가 너무 많습니다. %d초 뒤에 다시 시도하세요."},
	"login.expired":  {"You were logged out after a period of inactivity.", "활동이 없어 로그아웃되었습니다."},
	"login.out":      {"You are logged out; the archive keys were dropped from the server's memory.", "로그아웃되었습니다. 보관소 키는 서버 메모리에서 지워졌습니다."},

	"dash.title":   {"Dashboard", "대시보드"},
	"dash.items":   {"Items", "자료"},
	"dash.records": {"Records", "기록"},
	"dash.entries": {"Custody log entries", "보관 이력 항목"},
	"dash.recent":  {"Latest items", "최근 자료"},
	"dash.roles":   {"Roles", "역할"},
	"dash.kind":    {"Records by kind", "종류별 기록"},

	"search.title": {"Search", "검색"},
	"search.q":     {"Search words (Korean, English or a name in any romanization)", "검색어 (한국어, 영어, 또는 로마자 이름)"},
	"search.go":    {"Search", "검색"},
	"search.none":  {"Nothing found.", "찾은 결과가 없습니다."},
	"search.count": {"%d found", "%d건 찾음"},
	"search.pages": {"Pages of results", "결과 쪽"},
	"search.page":  {"Page %d of %d", "%d / %d쪽"},
	"search.prev":  {"← Previous page", "← 이전 쪽"},
	"search.next":  {"Next page →", "다음 쪽 →"},
	"facet.kind":   {"Kind", "종류"},
	"facet.lang":   {"Language", "언어"},
	"facet.all":    {"All", "전체"},
	"facets":       {"Narrow the results", "결과 좁히기"},

	"col.id":      {"ID", "ID"},
	"col.title":   {"Title", "제목"},
	"col.kind":    {"Kind", "종류"},
	"col.lang":    {"Language", "언어"},
	"col.size":    {"Size (bytes)", "크기 (바이트)"},
	"col.version": {"Version", "판"},
	"col.time":    {"Time", "시각"},
	"col.actor":   {"By", "작성자"},
	"col.object":  {"Object", "대상"},
	"col.digest":  {"Digest", "다이제스트"},
	"col.sig":     {"Signature", "서명"},
	"col.seq":     {"No.", "번호"},
	"col.field":   {"Field", "항목"},
	"col.value":   {"Value", "값"},
	"col.reason":  {"Reason", "사유"},
	"col.record":  {"Record", "기록"},
	"col.label":   {"Label", "표시"},
	"col.from":    {"From", "원래 값"},
	"col.to":      {"To", "공개 값"},
	"col.source":  {"Source", "출처"},
	"col.span":    {"Bytes", "바이트 범위"},
	"col.status":  {"Status", "상태"},
	"col.added":   {"Added", "추가"},
	"sig.ok":      {"valid", "유효"},
	"sig.bad":     {"INVALID", "무효"},

	"item.heading":   {"Item", "자료"},
	"item.sha":       {"SHA-256", "SHA-256"},
	"item.witness":   {"Witness", "증언자"},
	"item.transof":   {"Translation of", "원문"},
	"item.note":      {"Note", "메모"},
	"item.file":      {"File name", "파일 이름"},
	"item.text":      {"Text", "본문"},
	"item.notext":    {"This item is not shown as text here.", "이 자료는 여기에서 본문으로 보이지 않습니다."},
	"item.readnote":  {"Reading a testimony's item is recorded in the custody log.", "증언 자료를 읽으면 보관 이력에 기록됩니다."},
	"versions":       {"Versions", "판 이력"},
	"custody":        {"Custody entries", "보관 이력 항목"},
	"rec.heading":    {"Record", "기록"},
	"rec.fields":     {"Fields", "항목"},
	"rec.refs":       {"Refers to", "가리키는 대상"},
	"rec.links":      {"What links here", "이 기록을 가리키는 것"},
	"rec.nolinks":    {"Nothing links here.", "이 기록을 가리키는 것이 없습니다."},
	"t.heading":      {"Testimony", "증언"},
	"t.witness":      {"Witness (pseudonym)", "증언자 (가명)"},
	"t.interviewer":  {"Interviewer", "면담자"},
	"t.interpreter":  {"Interpreter", "통역"},
	"t.date":         {"Date", "날짜"},
	"t.place":        {"Place", "장소"},
	"t.langs":        {"Languages", "언어"},
	"t.notes":        {"Notes", "메모"},
	"t.sidebyside":   {"Original and translation", "원문과 번역"},
	"t.original":     {"Original", "원문"},
	"t.translation":  {"Translation", "번역"},
	"t.items":        {"All items of this testimony", "이 증언의 모든 자료"},
	"t.notes.title":  {"Annotations", "주석"},
	"t.notes.none":   {"No annotations yet.", "주석이 없습니다."},
	"t.consent":      {"Consent", "동의"},
	"consent.none":   {"No consent recorded: internal use only.", "동의 기록 없음: 내부용으로만 사용할 수 있습니다."},
	"consent.scope":  {"Scope", "범위"},
	"consent.place":  {"Place precision", "장소 정밀도"},
	"consent.date":   {"Date precision", "날짜 정밀도"},
	"consent.media":  {"Media limits", "매체 제한"},
	"consent.given":  {"Given", "동의 일자"},
	"consent.noaud":  {"no audio", "음성 불가"},
	"consent.novid":  {"no video or images", "영상·사진 불가"},
	"consent.notext": {"no transcript text", "녹취 본문 불가"},

	"log.title":      {"Custody log", "보관 이력"},
	"log.checkpoint": {"Latest signed checkpoint", "최신 서명 체크포인트"},
	"log.size":       {"Entries in the log", "이력 항목 수"},
	"log.allok":      {"Every entry shown has a valid signature.", "표시된 모든 항목의 서명이 유효합니다."},
	"log.bad":        {"%d entries shown have an INVALID signature: run sori verify.", "서명이 무효인 항목이 %d개 있습니다. sori verify를 실행하세요."},
	"verify.title":   {"Verification", "검증"},
	"verify.quick":   {"Quick check (structure and checkpoints)", "빠른 검사 (구조와 체크포인트)"},
	"verify.full":    {"Full check (re-hash every item; may take long)", "전체 검사 (모든 자료 재해시, 오래 걸릴 수 있음)"},
	"verify.ok":      {"%s check passed: %d items, %d custody entries, no finding.", "%s 검사 통과: 자료 %d개, 보관 이력 %d개, 문제 없음."},
	"verify.bad":     {"%s check: %d findings. Keep a copy of the archive as it is and do not write to it until it is examined.", "%s 검사: 문제 %d건. 보관소를 그대로 복사해 두고, 검사하기 전에는 쓰지 마세요."},
	"verify.detail":  {"Detail", "내용"},
	"verify.hint":    {"What to do", "조치"},
	"log.shown":      {"The newest %d entries, newest first.", "최신 %d개 항목 (최신순)."},

	"tl.title":     {"Timeline", "연표"},
	"tl.none":      {"No events recorded yet.", "기록된 사건이 없습니다."},
	"tl.unknown":   {"Date unknown", "날짜 미상"},
	"tl.precision": {"precision", "정밀도"},
	"prec.day":     {"day", "일"},
	"prec.month":   {"month", "월"},
	"prec.year":    {"year", "연도"},
	"prec.decade":  {"decade", "10년 단위"},
	"prec.unknown": {"unknown", "미상"},
	"tl.approx":    {"approximate", "대략"},

	"map.title":  {"Map", "지도"},
	"map.none":   {"No place has coordinates yet.", "좌표가 있는 장소가 없습니다."},
	"map.note":   {"Places with coordinates, drawn at the precision recorded; Natural Earth borders (world-atlas).", "좌표가 있는 장소를 기록된 정밀도로 표시합니다. 경계: Natural Earth (world-atlas)."},
	"map.list":   {"Places on the map", "지도의 장소"},
	"map.coords": {"Coordinates", "좌표"},

	"pub.title":     {"Publish preview (dry run)", "공개 미리보기 (시험 실행)"},
	"pub.note":      {"Nothing is written or published: this is what a publication would withhold or change.", "아무것도 쓰거나 공개하지 않습니다. 공개할 때 무엇이 빠지거나 바뀌는지 보여 줍니다."},
	"pub.redact":    {"Redactions", "가림 처리"},
	"pub.coarse":    {"Made less precise", "정밀도 낮춤"},
	"pub.pseudo":    {"Published under a pseudonym", "가명으로 공개"},
	"pub.excluded":  {"Left out", "제외"},
	"pub.freetext":  {"Places, dates and contacts found in free text", "본문에서 찾은 장소·날짜·연락처"},
	"pub.nothing":   {"Nothing.", "없음."},
	"vault.title":   {"Identity vault", "신원 금고"},
	"vault.reauth":  {"Enter your passphrase again to open the identity vault.", "신원 금고를 열려면 암호 문구를 다시 입력하세요."},
	"vault.confirm": {"Confirm", "확인"},

	"nav.export":             {"Export", "반출"},
	"export.title":           {"Court bundle export", "법정 제출용 묶음 반출"},
	"export.reauth":          {"Enter your passphrase again to export.", "반출하려면 암호 문구를 다시 입력하세요."},
	"export.intro":           {"Writes a court bundle of the items below as a zip download: each original, every version of its record, its custody entries with proofs against one signed checkpoint, and the bundle's own specification. The export is recorded in the custody log first. Consent decides what may leave.", "아래 항목의 법정 제출용 묶음을 zip 파일로 내려받습니다. 원본, 기록의 모든 판, 하나의 서명된 체크포인트에 대한 증명이 붙은 보관 이력, 묶음 자체의 명세가 들어 있습니다. 반출은 먼저 보관 이력에 기록됩니다. 무엇을 내보낼 수 있는지는 동의가 정합니다."},
	"export.items":           {"Item IDs (one a line; a unique prefix is enough)", "항목 ID (한 줄에 하나, 고유한 앞부분만으로도 됩니다)"},
	"export.recipients":      {"Encrypt the originals to (optional, one a line)", "원본을 암호화할 수신자 (선택, 한 줄에 하나)"},
	"export.recipients.help": {"An age recipient (age1…) or an SSH public key; every recipient can decrypt each original with stock age. Without one the originals are in the clear.", "age 수신자(age1…) 또는 SSH 공개 키. 모든 수신자가 일반 age로 각 원본을 복호화할 수 있습니다. 없으면 원본이 암호화되지 않습니다."},
	"export.request":         {"Approved request (only under four eyes)", "승인된 요청 (4인 확인 설정일 때만)"},
	"export.submit":          {"Export and download", "반출하여 내려받기"},
	"export.check":           {"Unzip the file and check the folder with 'sori verify-bundle' or the steps of its sori-bundle-spec.md.", "파일의 압축을 풀고 'sori verify-bundle' 또는 그 안의 sori-bundle-spec.md 절차로 폴더를 확인하세요."},
	"vault.pseudo":           {"Pseudonym", "가명"},
	"vault.empty":            {"The vault is empty.", "금고가 비어 있습니다."},

	"err.title":     {"Something went wrong", "오류"},
	"err.csrf":      {"The form expired or did not come from this site. Reload the page and try again.", "양식이 만료되었거나 이 사이트에서 온 것이 아닙니다. 페이지를 새로 고친 뒤 다시 시도하세요."},
	"err.notfound":  {"Not found.", "찾을 수 없습니다."},
	"err.forbidden": {"Your role may not do this.", "이 작업을 할 권한이 없습니다."},
	"err.bad":       {"The request was not valid:", "잘못된 요청입니다:"},
	"err.internal":  {"The server could not do this. Its log says why.", "서버가 처리하지 못했습니다. 서버 로그를 확인하세요."},
	"err.tampered":  {"The archive may have been altered or damaged. Do not write to it until it is examined (run sori verify).", "보관소가 변조되었거나 손상되었을 수 있습니다. 검사하기 전에는 쓰지 마세요 (sori verify 실행)."},
	"back":          {"Back to the dashboard", "대시보드로 돌아가기"},

	"list.title": {"Records", "기록 목록"},
	"list.none":  {"No records of this kind.", "이 종류의 기록이 없습니다."},

	// Kinds of items and records, as pages name them.
	"kind.transcript":  {"transcript", "녹취록"},
	"kind.audio":       {"audio", "음성"},
	"kind.video":       {"video", "영상"},
	"kind.image":       {"image", "사진"},
	"kind.document":    {"document", "문서"},
	"kind.testimony":   {"testimony", "증언"},
	"kind.event":       {"event", "사건"},
	"kind.act":         {"act", "행위"},
	"kind.involvement": {"involvement", "가담"},
	"kind.person":      {"person", "인물"},
	"kind.place":       {"place", "장소"},
	"kind.information": {"information", "정보 출처"},
	"kind.annotation":  {"annotation", "주석"},
	"kind.consent":     {"consent", "동의"},
	"kind.redaction":   {"redaction", "가림 처리"},
	"kind.void":        {"void", "무효 처리"},

	// Record fields, by their JSON names.
	"field.title":            {"Title", "제목"},
	"field.description":      {"Description", "설명"},
	"field.date":             {"Date", "날짜"},
	"field.places":           {"Places", "장소"},
	"field.violations":       {"Violations", "위반 유형"},
	"field.status":           {"Status", "상태"},
	"field.names":            {"Names", "이름"},
	"field.aliases":          {"Aliases", "별칭"},
	"field.sex":              {"Sex", "성별"},
	"field.birth_year":       {"Year of birth", "출생 연도"},
	"field.counting_unit":    {"Counting unit", "집계 단위"},
	"field.unit":             {"Unit or institution", "소속 기관·부대"},
	"field.protected":        {"Protected", "보호 대상"},
	"field.pseudonym":        {"Pseudonym", "가명"},
	"field.notes":            {"Notes", "메모"},
	"field.type":             {"Type", "유형"},
	"field.gazetteer":        {"Gazetteer place", "지명 사전 장소"},
	"field.parent":           {"Within", "상위 장소"},
	"field.lat":              {"Latitude", "위도"},
	"field.lon":              {"Longitude", "경도"},
	"field.event":            {"Event", "사건"},
	"field.victim":           {"Victim", "피해자"},
	"field.violation":        {"Violation", "위반 유형"},
	"field.place":            {"Place", "장소"},
	"field.status_at_end":    {"Status at the end", "종료 시 상태"},
	"field.act":              {"Act", "행위"},
	"field.perpetrator":      {"Perpetrator", "가해자"},
	"field.degree":           {"Degree of involvement", "가담 정도"},
	"field.perpetrator_type": {"Perpetrator type", "가해자 유형"},
	"field.source":           {"Source", "출처"},
	"field.connection":       {"How the source knows", "출처와 사건의 관계"},
	"field.reliability":      {"Source reliability", "출처 신뢰도"},
	"field.credibility":      {"Information credibility", "정보 신빙성"},
	"field.language":         {"Language", "언어"},
	"field.item":             {"Item", "자료"},
	"field.start":            {"Start (byte)", "시작 (바이트)"},
	"field.end":              {"End (byte)", "끝 (바이트)"},
	"field.target":           {"Linked record", "연결 기록"},
	"field.note":             {"Note", "메모"},
	"field.testimony":        {"Testimony", "증언"},
	"field.scope":            {"Consent scope", "동의 범위"},
	"field.place_precision":  {"Place precision", "장소 정밀도"},
	"field.date_precision":   {"Date precision", "날짜 정밀도"},
	"field.no_audio":         {"No audio", "음성 불가"},
	"field.no_video":         {"No video or images", "영상·사진 불가"},
	"field.no_text":          {"No transcript text", "녹취 본문 불가"},
	"field.given":            {"Given", "동의 일자"},
	"field.witness":          {"Witness (pseudonym)", "증언자 (가명)"},
	"field.interviewer":      {"Interviewer", "면담자"},
	"field.interpreter":      {"Interpreter", "통역"},
	"field.languages":        {"Languages", "언어"},
	"field.original":         {"Original", "원문"},
	"field.originals":        {"Further originals", "추가 원본"},
	"field.translations":     {"Translations", "번역"},
	"field.reason":           {"Reason", "사유"},

	// The intake page (intake.go, templates/intake.html).
	"nav.intake":            {"Add evidence", "자료 추가"},
	"intake.title":          {"Add evidence", "자료 추가"},
	"intake.limit":          {"Upload one file of up to %s. It is encrypted as it arrives; nothing is kept unencrypted on the server.", "파일 하나를 %s까지 올릴 수 있습니다. 받는 즉시 암호화되며, 서버에 암호화되지 않은 사본은 남지 않습니다."},
	"intake.titlefield":     {"Title", "제목"},
	"intake.kind":           {"Kind", "종류"},
	"intake.kind.guess":     {"Guess from the file name", "파일 이름으로 추정"},
	"intake.lang":           {"Language", "언어"},
	"intake.lang.none":      {"Not given", "지정 안 함"},
	"intake.lang.ko":        {"Korean (ko)", "한국어 (ko)"},
	"intake.lang.en":        {"English (en)", "영어 (en)"},
	"intake.witness":        {"Witness pseudonym", "증언자 가명"},
	"intake.witness.help":   {"A pseudonym such as W-0042, never a name.", "W-0042 같은 가명만 쓰고, 실명은 쓰지 마세요."},
	"intake.testimony":      {"Testimony", "증언"},
	"intake.testimony.none": {"None (link it later)", "없음 (나중에 연결)"},
	"intake.as":             {"In the testimony, this file is", "이 파일은 증언에서"},
	"intake.as.original":    {"an original (recording, transcript, document)", "원본 (녹음, 녹취록, 문서)"},
	"intake.as.translation": {"a translation of its original", "원문의 번역"},
	"intake.note":           {"Note", "메모"},
	"intake.file":           {"File", "파일"},
	"intake.submit":         {"Upload", "올리기"},
	"intake.progress":       {"Upload progress", "올리기 진행률"},
	"intake.sending":        {"Uploading and encrypting…", "올리고 암호화하는 중…"},
	"intake.neterr":         {"The upload did not reach the server. Nothing was added; try again.", "파일이 서버에 닿지 않았습니다. 아무것도 추가되지 않았으니 다시 시도하세요."},
	"intake.done":           {"Added to the archive", "보관소에 추가되었습니다"},
	"intake.dup":            {"These exact bytes were already in the archive: nothing new was stored", "같은 내용이 이미 보관소에 있어 새로 저장하지 않았습니다"},
	"intake.open":           {"Open the item", "자료 열기"},
	"intake.bytes":          {"bytes", "바이트"},
	"intake.linked":         {"Linked to its testimony.", "증언에 연결되었습니다."},
	"intake.testimony.open": {"Open the testimony", "증언 열기"},
	"intake.linkfail":       {"The item was stored, but linking it to the testimony failed:", "자료는 저장되었지만 증언에 연결하지 못했습니다:"},
	"intake.names":          {"Its text names %d sealed name(s) of the identity vault: mark them for redaction before any publication.", "본문에 신원 금고의 봉인된 이름이 %d곳 있습니다. 공개하기 전에 가림 처리하세요."},
	"intake.toolarge":       {"The file is larger than this server accepts; nothing was added. The limit is", "파일이 서버가 받는 크기보다 커서 아무것도 추가하지 않았습니다. 한도:"},
	"intake.nofile":         {"No file was received; nothing was added.", "파일을 받지 못해 아무것도 추가하지 않았습니다."},
	"intake.cut":            {"The upload was cut off before its end; nothing was added.", "파일이 끝까지 오지 않아 아무것도 추가하지 않았습니다."},
	"intake.badfield":       {"A field of the form is too long or not text; nothing was added.", "양식의 항목이 너무 길거나 텍스트가 아니어서 아무것도 추가하지 않았습니다."},
	"intake.notestimony":    {"The testimony chosen is not a testimony; nothing was added.", "선택한 기록이 증언이 아니어서 아무것도 추가하지 않았습니다."},

	// Redaction and annotation by selecting text (selection.go).
	"sel.help":              {"Select words in the text above to redact or annotate them.", "위 본문에서 낱말을 선택하면 가림 처리하거나 주석을 달 수 있습니다."},
	"sel.chosen":            {"Selected:", "선택한 부분:"},
	"sel.redact.legend":     {"Redact the selection (never published)", "선택 부분 가림 처리 (공개하지 않음)"},
	"sel.reason":            {"Reason (do not quote the words)", "사유 (가리는 말을 적지 마세요)"},
	"sel.redact":            {"Redact selection", "선택 부분 가리기"},
	"sel.annotate.legend":   {"Annotate the selection", "선택 부분에 주석 달기"},
	"sel.target":            {"Links to", "연결할 기록"},
	"sel.note":              {"Note", "메모"},
	"sel.annotate":          {"Annotate selection", "주석 달기"},
	"sel.notargets":         {"No event, act, person or place is recorded yet to link to.", "연결할 사건, 행위, 인물, 장소 기록이 아직 없습니다."},
	"sel.marked":            {"%d redaction(s) are marked in the text.", "본문에 가림 처리 %d곳이 표시되어 있습니다."},
	"sel.refused":           {"The selection was refused and nothing was changed.", "선택을 받아들이지 않았고 아무것도 바뀌지 않았습니다."},
	"sel.done.redact":       {"The selection is marked for redaction.", "선택 부분을 가림 처리했습니다."},
	"sel.done.annotate":     {"The annotation is recorded.", "주석을 기록했습니다."},
	"sel.noaction":          {"Choose to redact or to annotate.", "가림 처리나 주석 중 하나를 고르세요."},
	"sel.none":              {"No text was selected; nothing was changed.", "선택한 본문이 없어 아무것도 바뀌지 않았습니다."},
	"sel.notarget":          {"Choose the record the annotation links to; nothing was changed.", "주석을 연결할 기록을 고르세요. 아무것도 바뀌지 않았습니다."},
	"t.redactions":          {"Redactions", "가림 처리"},
	"t.additem":             {"Add a file to this testimony", "이 증언에 파일 추가"},
	"t.redactions.none":     {"No redactions yet.", "가림 처리가 없습니다."},
	"t.redaction.withdrawn": {"withdrawn", "철회됨"},
	"t.redaction.active":    {"in force", "유효"},
	"role.admin":            {"admin", "관리자"},
	"role.protection":       {"protection officer", "보호 담당관"},
	"role.investigator":     {"investigator", "조사관"},
	"role.analyst":          {"analyst", "분석가"},
	"role.reader":           {"reader", "열람자"},
	"yes":                   {"yes", "예"},
	"err.shredded":          {"This item was crypto-shredded at its witness's request: its key is destroyed and nothing can open it. Its records and custody entries remain.", "이 항목은 증인의 요청으로 암호 파기되었습니다. 키가 없어져 아무도 열 수 없습니다. 기록과 보관 이력은 남아 있습니다."},

	"form.title":       {"Record", "기록"},
	"form.new":         {"New", "새"},
	"form.edit":        {"Edit", "고치기:"},
	"form.add":         {"Add the record", "기록 추가"},
	"form.save":        {"Save a new version", "새 판으로 저장"},
	"form.hint.date":   {"1997-03, ~1998, 1997..1999", "1997-03, ~1998, 1997..1999"},
	"form.hint.number": {"a number", "숫자"},
	"form.hint.lines":  {"one a line", "한 줄에 하나"},
	"form.suggest":     {"Suggestions", "제안"},
	"form.help":        {"References and terms suggest as you type: pick a record, a place of the gazetteer or a term, or type a label; an unknown label is refused with the nearest ones. Editing saves only the fields you changed, as a new version.", "참조와 용어는 입력하는 대로 제안됩니다. 기록, 지명 사전의 장소, 용어를 고르거나 이름을 입력하세요. 모르는 이름은 가장 가까운 것들과 함께 거부됩니다. 고치기는 바꾼 칸만 새 판으로 저장합니다."},
	"form.addlink":     {"Add", "추가"},
	"form.editlink":    {"Edit this record", "이 기록 고치기"},
	"no":               {"no", "아니요"},
}

// lang is the UI language of a request: "en" or "ko".
type lang string

// T returns the message key in l; an unknown key is shown as itself (and
// caught by the messages test).
func (l lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == "ko" {
		return m[1]
	}
	return m[0]
}

// Kind names a kind of item or record in l (unknown kinds as they are).
func (l lang) Kind(k string) string {
	if _, ok := messages["kind."+k]; ok {
		return l.T("kind." + k)
	}
	return k
}

// Month names month m (1–12) in l.
func (l lang) Month(m int) string {
	if l == "ko" {
		return fmt.Sprintf("%d월", m)
	}
	return time.Month(m).String()
}

// F is T with fmt arguments.
func (l lang) F(key string, a ...any) string { return fmt.Sprintf(l.T(key), a...) }

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Korean})

// langOf picks the language: the "lang" cookie (set by the switch), else
// Accept-Language, else English.
func langOf(r *http.Request) lang {
	var pref string
	if c, err := r.Cookie("lang"); err == nil {
		pref = c.Value
	}
	tag, _ := language.MatchStrings(langMatcher, pref, r.Header.Get("Accept-Language"))
	if base, _ := tag.Base(); base.String() == "ko" {
		return "ko"
	}
	return "en"
}

// setLang is the language switch: GET /lang?to=ko&next=/search…; it only
// sets a preference cookie, so it needs no CSRF token.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	if to != "ko" && to != "en" {
		to = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: to, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode, HttpOnly: true})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath keeps a redirect on this site: a path, never "//host" or a URL.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}
