import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execute, GO_JSON, GO_TYPE, goJson, headerFuncs, parseTemplate, TemplateError, truth } from '../../src/cli/template.ts';

const inspect = {
  Id: 'abc123',
  Name: '/web',
  State: { Status: 'running', Running: true, Pid: 42, Health: null },
  Config: { Image: 'busybox', Env: ['A=1', 'B=2'], Cmd: ['sh', '-c', 'x'], Labels: { 'com.example.team': 'infra', app: 'web' }, Entrypoint: null },
  HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, Binds: null },
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
  Mounts: [],
};

const r = (src: string, data: unknown = inspect): string => execute(parseTemplate(src), data);

function fails(src: string, data: unknown, message: string | RegExp): void {
  assert.throws(() => r(src, data), (e: unknown) => {
    assert.ok(e instanceof TemplateError);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('fields, nested fields and text', () => {
  assert.equal(r('{{.Name}}'), '/web');
  assert.equal(r('name={{.Name}} pid={{.State.Pid}}'), 'name=/web pid=42');
  assert.equal(r('{{.Config.Image}}'), 'busybox');
  assert.equal(r('{{.NetworkSettings.Networks.bridge.IPAddress}}'), '172.17.0.2');
  assert.equal(r('plain text'), 'plain text');
  assert.equal(r('{{.}}', 'dot'), 'dot');
});

test('values print as Go prints them', () => {
  assert.equal(r('{{.Config.Env}}'), '[A=1 B=2]');
  assert.equal(r('{{.Config.Labels}}'), 'map[app:web com.example.team:infra]');
  assert.equal(r('{{.HostConfig.PortBindings}}'), 'map[80/tcp:[{ 8080}]]');
  assert.equal(r('{{.State}}'), '{running true 42 <nil>}');
  // Typed nil maps and slices print empty.
  assert.equal(r('{{.HostConfig.Binds}}|{{.Config.Entrypoint}}'), '[]|[]');
});

test('json', () => {
  assert.equal(r('{{json .Config.Env}}'), '["A=1","B=2"]');
  assert.equal(r('{{json .Config.Labels}}'), '{"app":"web","com.example.team":"infra"}');
  assert.equal(r('{{json .State}}'), '{"Status":"running","Running":true,"Pid":42,"Health":null}');
  assert.equal(r('{{json .Config.Entrypoint}}'), 'null');
  assert.equal(r('{{json .Missing.Deeper}}', {}), 'null');
  assert.equal(r('{{json .}}', { s: '<a&b>' }), '{"s":"<a&b>"}');
  assert.equal(r('{{.Name | json}}'), '"/web"');
});

test('range, with variables, else, break and continue', () => {
  assert.equal(r('{{range .Config.Env}}[{{.}}]{{end}}'), '[A=1][B=2]');
  assert.equal(r('{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}'), '0:A=1 1:B=2 ');
  assert.equal(r('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}'), 'app=web;com.example.team=infra;');
  assert.equal(r('{{range .Mounts}}x{{else}}none{{end}}'), 'none');
  assert.equal(r('{{range .Nope}}x{{else}}none{{end}}', { Nope: null }), 'none');
  assert.equal(r('{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', [0, 1, 2, 3, 4]), '02');
  assert.equal(r('{{range 3}}{{.}}{{end}}', null), '012');
  assert.equal(r('{{range $x := .Config.Env}}{{$x}} {{$.Name}};{{end}}'), 'A=1 /web;B=2 /web;');
});

test('if / else if / else and truth', () => {
  assert.equal(r('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
  assert.equal(r('{{if .Mounts}}m{{else if .Config.Env}}e{{else}}n{{end}}'), 'e');
  assert.equal(r('{{if not .State.Running}}a{{else}}b{{end}}'), 'b');
  assert.equal(r('{{if and .State.Running (eq .State.Pid 42)}}ok{{end}}'), 'ok');
  assert.equal(r('{{or .Missing "fallback"}}', {}), 'fallback');
  assert.equal(r('{{and 1 0 "x"}}', {}), '0');
  assert.equal(truth(''), false);
  assert.equal(truth([]), false);
  assert.equal(truth({}), false);
  assert.equal(truth({ a: 1 }), true);
  assert.equal(truth(0), false);
});

test('with and variables', () => {
  assert.equal(r('{{with .State}}{{.Status}}/{{.Pid}}{{end}}'), 'running/42');
  assert.equal(r('{{with .Config.Entrypoint}}e{{else}}no entrypoint{{end}}'), 'no entrypoint');
  assert.equal(r('{{$n := .Name}}{{$n}}{{$n = "x"}}{{$n}}'), '/webx');
  assert.equal(r('{{$.Name}}'), '/web');
});

test('index, len, slice and comparisons', () => {
  assert.equal(r('{{index .Config.Labels "app"}}'), 'web');
  assert.equal(r('[{{index .Config.Labels "nope"}}]'), '[]');
  assert.equal(r('{{index .Config.Env 1}}'), 'B=2');
  assert.equal(r('{{index .HostConfig.PortBindings "80/tcp" 0 | json}}'), '{"HostIp":"","HostPort":"8080"}');
  assert.equal(r('{{len .Config.Env}} {{len .Config.Labels}} {{len .Name}}'), '2 2 4');
  assert.equal(r('{{slice .Name 1}} {{slice .Config.Env 0 1}}'), 'web [A=1]');
  assert.equal(r('{{eq .State.Status "running" "paused"}} {{ne 1 2}} {{lt 1 2}} {{ge "b" "a"}} {{le 2 2}} {{gt 1 2}}'), 'true true true true true false');
  assert.equal(r('{{eq .Config.Entrypoint nil}}'), 'false');
  assert.equal(r('{{eq .Nope nil}}', { Nope: null }), 'true');
});

test('printf, print, println and docker functions', () => {
  assert.equal(r('{{printf "%s:%d" .Config.Image .State.Pid}}'), 'busybox:42');
  assert.equal(r('{{printf "%-8s|" "ab"}}'), 'ab      |');
  assert.equal(r('{{print "a" 1 2}}'), 'a1 2');
  assert.equal(r('{{println "a" 1}}'), 'a 1\n');
  assert.equal(r('{{join .Config.Env ","}}'), 'A=1,B=2');
  assert.equal(r('{{split "a,b,c" ","}}'), '[a b c]');
  assert.equal(r('{{upper .Config.Image}} {{lower "ABC"}} {{title "hello world"}}'), 'BUSYBOX abc Hello World');
  assert.equal(r('[{{pad "x" 1 2}}][{{pad "" 1 2}}]'), '[ x  ][]');
  assert.equal(r('{{truncate .Id 3}}'), 'abc');
  assert.equal(r('{{"x" | printf "%s-%s" "y"}}'), 'y-x');
  assert.equal(r('{{.Config.Env | len}}'), '2');
  assert.equal(r('{{html "<a&b>"}} {{urlquery "a b&c"}} {{js "it\'s"}}'), "&lt;a&amp;b&gt; a+b%26c it\\'s");
});

test('literals, comments and whitespace trimming', () => {
  assert.equal(r('{{"quoted\\t"}}|{{`raw\\t`}}|{{1}}|{{1.5}}|{{true}}|{{0x10}}|{{\'a\'}}'), 'quoted\t|raw\\t|1|1.5|true|16|97');
  assert.equal(r('a {{/* note */}}b'), 'a b');
  assert.equal(r('a  {{- /* trimmed */ -}}  b'), 'ab');
  assert.equal(r('x\n  {{- .Name -}}\n  y'), 'x/weby');
  assert.equal(r('{{-3}} {{-0x10}} {{+2}} {{1_000}}'), '-3 -16 2 1000');
  assert.equal(r('{{if\n  .State.Running\n}}multi-line action{{end}}'), 'multi-line action');
});

test('missing keys: "<no value>" on maps, errors on structs like docker inspect', () => {
  assert.equal(r('{{.Config.Labels.missing}}'), '<no value>');
  fails('{{.Nope}}', inspect, 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
  fails('{{.State.Health.Status}}', inspect, 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status');
  fails('x\n{{.Foo}}', inspect, 'template: :2:2: executing "" at <.Foo>: map has no entry for key "Foo"');
});

test('formatter contexts: methods, arity and type names in errors', () => {
  const ctx = { [GO_TYPE]: '*formatter.ContainerContext', ID: () => 'abc', Label: (k: string) => (k === 'a' ? '1' : '') };
  assert.equal(r('{{.ID}} {{.Label "a"}}', ctx), 'abc 1');
  fails('{{.Foo}}', ctx, 'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext');
  fails('{{.Label}}', ctx, /wrong number of args for Label: want 1 got 0/);
  assert.equal(goJson(ctx), '{"ID":"abc"}');
  const ev = { [GO_TYPE]: '*events.Message', Type: 'container', [GO_JSON]: () => ({ status: 'start', Type: 'container' }) };
  assert.equal(r('{{.Type}}', ev), 'container');
  assert.equal(goJson(ev), '{"status":"start","Type":"container"}');
});

test('function errors', () => {
  fails('{{index .Config.Env 5}}', inspect, 'template: :1:2: executing "" at <index .Config.Env 5>: error calling index: index out of range: 5');
  fails('{{upper .State.Pid}}', inspect, /wrong type for value; expected string; got int/);
  fails('{{join "x" ","}}', inspect, /expected \[\]string/);
  fails('{{lt 1 "a"}}', inspect, /incompatible types for comparison/);
  fails('{{.Name 1}}', inspect, /Name is not a method but has arguments/);
  fails('{{range .Name}}{{end}}', inspect, /range can't iterate over \/web/);
});

test('parse errors', () => {
  const perr = (src: string, msg: string): void =>
    assert.throws(() => parseTemplate(src), (e: unknown) => e instanceof TemplateError && e.message === msg);
  perr('{{foo}}', 'template: :1: function "foo" not defined');
  perr('{{.Name', 'template: :1: unclosed action');
  perr('{{if .A}}x', 'template: :1: unexpected EOF');
  perr('{{end}}', 'template: :1: unexpected {{end}}');
  perr('{{else}}', 'template: :1: unexpected {{else}}');
  perr('{{$x}}', 'template: :1: undefined variable "$x"');
  perr('{{"abc}}', 'template: :1: unterminated quoted string');
  perr('{{break}}', 'template: :1: {{break}} outside {{range}}');
  perr('a\n{{ ! }}', "template: :2: bad character U+0021 '!'");
  assert.throws(() => parseTemplate('{{.A', undefined, 'version'), (e: unknown) => e instanceof TemplateError && e.message === 'template: version:1: unclosed action');
});

test('table headers render with header functions and keep partial output', () => {
  const t = parseTemplate('{{.ID}}\t{{join .Names ","}}\t{{upper .Image}}\t{{.Unknown}}');
  const header = new Map([['ID', 'CONTAINER ID'], ['Names', 'NAMES'], ['Image', 'IMAGE']]);
  assert.equal(execute(t, header, headerFuncs), 'CONTAINER ID\tNAMES\tIMAGE\t<no value>');
  const bad = parseTemplate('{{.ID}}\t{{.Label "x"}}');
  assert.throws(() => execute(bad, header, headerFuncs), (e: unknown) => e instanceof TemplateError && e.partial === 'CONTAINER ID\t');
});

test('big integers keep their digits in json', () => {
  assert.equal(goJson({ timeNano: 1700000000123456789n }), '{"timeNano":1700000000123456789}');
});
