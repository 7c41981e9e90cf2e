"""What the survey page runs in the respondent's browser around the widgets (``zuofeng serve`` only).

``page_template`` is the Voilà template of the survey page: Voilà's lab template with the page's
language in ``<html lang>``, a loading screen in that language, no stylesheet from a CDN, and
``PAGE_JS``, a small script that

- shows "connection lost, reconnecting" as soon as the kernel's websocket closes or the browser goes
  offline, and a link back to the entry page when the kernel is gone for good: culled (the websocket
  cannot reconnect) or killed outright (the server restarts it empty; the form is greyed out, since taps
  on it would reach nobody);
- keeps the unsubmitted answers (the 22 items, and the 民主测评 table's rows, hidden ones included) in this browser tab only (``sessionStorage``, under a SHA-256 of round
  and token computed by the entry page, never the token itself) and clicks them back into a new survey
  opened with the same token, saying so; they are removed when the sheet is stored;
- scrolls to and focuses what the kernel marked as missing when submit was pressed too early;
- sets the comment box's ``maxlength``.
"""

from __future__ import annotations

import json

from ...sheet import COMMENT_MAX
from .entry_page import LANG_ATTR

PAGE_TEXT = {
    "zh": {"loading": "正在打开问卷……", "lost": "网络连接中断，正在重新连接……已选的答案保存在本机。",
           "back": "连接已恢复。", "gone": "与问卷的连接已结束，已选的答案保存在本机。",
           "again": "重新输入答题码继续", "restored": "已恢复您在本设备上尚未提交的答案（{n} 题），请核对后提交。"},
    "en": {"loading": "Opening the survey…", "lost": "Connection lost, reconnecting… your choices are kept on this device.",
           "back": "Connected again.", "gone": "The connection to the survey has ended; your choices are kept on this device.",
           "again": "Enter your token again to continue",
           "restored": "Your unsubmitted answers on this device were restored ({n} questions): please check them and submit."},
}

PAGE_CSS = """<style>
.jp-mod-noOutputs.jp-mod-noInput { display: none; }
#loading { display: flex; align-items: center; justify-content: center; height: 60vh; font-family: sans-serif; }
#loading_text { font-size: 20px; color: #1f2328; }
#zf-conn { position: fixed; left: 0; right: 0; top: 0; z-index: 1000; padding: 10px 14px; font: 600 16px/1.4 sans-serif;
  text-align: center; }
#zf-conn.zf-warn { background: #fff1c2; color: #5c3c00; border-bottom: 2px solid #bc4c00; }
#zf-conn.zf-gone { background: #ffe3e0; color: #82071e; border-bottom: 2px solid #cf222e; }
#zf-conn.zf-ok { background: #dafbe1; color: #116329; border-bottom: 2px solid #1a7f37; }
#zf-conn a { color: inherit; }
body.zf-dead #rendered_cells { opacity: 0.45; pointer-events: none; }
</style>"""

PAGE_JS = r"""(function(){
var T = __TEXT__, KEY = null;
try { KEY = sessionStorage.getItem('zf-key'); } catch (e) {}
var STORE = KEY ? 'zf-answers-' + KEY : null, restored = false, done = false, failures = 0, lastJump = null;
function bar(){var b=document.getElementById('zf-conn');if(!b){b=document.createElement('div');b.id='zf-conn';
 b.setAttribute('role','alert');document.body.appendChild(b);}return b;}
function notice(text, cls){var b=bar();b.className=cls||'';b.innerHTML=text;b.hidden=!text;}
function lost(){ if(!done && !dead) notice(T.lost, 'zf-warn'); }
var dead = false;
function gone(){ if (done || dead) return; save(); dead = true; document.body.classList.add('zf-dead');
  notice(T.gone + ' <a href="./?expired=1">' + T.again + '</a>', 'zf-gone'); }
// the kernel's websocket: say at once when it drops, and when it is back
var Native = window.WebSocket;
function Wrapped(url, protocols){
  var ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
  if (/\/api\/kernels\/[^/]+\/channels/.test(String(url))) {
    ws.addEventListener('open', function(){ failures = 0; var b=document.getElementById('zf-conn');
      if (b && b.className === 'zf-warn') { notice(T.back, 'zf-ok'); setTimeout(function(){ if (b.className === 'zf-ok') notice('', ''); }, 3000); } });
    ws.addEventListener('close', function(){ failures += 1; if (failures >= 4) gone(); else lost(); });
    // a kernel that died (killed, out of memory) comes back empty: the form on the page is dead
    ws.addEventListener('message', function(ev){ if (dead || done) return; var d = ev.data, s = null;
      if (typeof d === 'string') { if (d.length < 4096) s = d; }
      else if (d instanceof ArrayBuffer && d.byteLength < 4096) { try { s = new TextDecoder().decode(d); } catch (e) {} }
      if (s && s.indexOf('"status"') >= 0 && /"execution_state":\s*"(restarting|autorestarting|dead)"/.test(s)) gone(); });
  }
  return ws;
}
Wrapped.prototype = Native.prototype;
['CONNECTING','OPEN','CLOSING','CLOSED'].forEach(function(k){ Wrapped[k] = Native[k]; });
window.WebSocket = Wrapped;
window.addEventListener('offline', lost);
window.addEventListener('online', function(){ var b=document.getElementById('zf-conn'); if (b && b.className==='zf-warn') { notice(T.back, 'zf-ok'); setTimeout(function(){ if (b.className === 'zf-ok') notice('', ''); }, 3000); } });
// unsubmitted answers live in this browser tab only (sessionStorage), under a hash of round and token
function nameOf(el){ var m = /\bzf-(q\d\d|category|overall|t\d+-(?:ov|d\d))\b/.exec(el.className); return m ? m[1] : null; }
function snapshot(){
  var d = {choices: {}, comment: null};
  document.querySelectorAll('.zf-choice').forEach(function(el){ var n = nameOf(el); if (!n) return;
    var bs = el.querySelectorAll('button.widget-toggle-button');
    for (var i = 0; i < bs.length; i++) if (bs[i].classList.contains('mod-active')) d.choices[n] = i; });
  var ta = document.querySelector('.zf-comment textarea'); if (ta && ta.value) d.comment = ta.value;
  return d;
}
function save(){ if (!STORE || done || !restored || leaving || dead) return;
  var now = snapshot(); if (!Object.keys(now.choices).length && now.comment === null) return;
  try { sessionStorage.setItem(STORE, JSON.stringify(now)); } catch (e) {} }
var leaving = false;
window.addEventListener('beforeunload', function(){ save(); leaving = true; });
window.addEventListener('pagehide', function(){ leaving = true; });
window.addEventListener('pageshow', function(){ leaving = false; });
function restore(){
  restored = true; var raw = null;
  try { raw = STORE && sessionStorage.getItem(STORE); } catch (e) {}
  if (!raw) return;
  var d; try { d = JSON.parse(raw); } catch (e) { return; }
  var n = 0;
  document.querySelectorAll('.zf-choice').forEach(function(el){ var k = nameOf(el);
    if (!k || !(k in (d.choices||{}))) return;
    var bs = el.querySelectorAll('button.widget-toggle-button'), b = bs[d.choices[k]];
    if (b && !b.classList.contains('mod-active')) { b.click(); if (k[0] === 'q' || k[0] === 't') n += 1; } });
  var ta = document.querySelector('.zf-comment textarea');
  if (ta && d.comment && !ta.value) { ta.value = d.comment; ta.dispatchEvent(new Event('input', {bubbles: true})); }
  if (n || d.comment) notice(T.restored.replace('{n}', n), 'zf-ok zf-restored');
}
var timer = null, pending = false;
function later(){ clearTimeout(timer); timer = setTimeout(save, 150); }
new MutationObserver(function(){
  var ta = document.querySelector('.zf-comment textarea');
  if (ta && !ta.hasAttribute('maxlength')) ta.setAttribute('maxlength', String(T.max));
  if (!pending && document.querySelector('.zf-submit') && document.querySelector('.zf-q22')) {
    pending = true; setTimeout(restore, 300); }
  if (document.querySelector('.zf-thanks') && !done) { done = true;
    try { sessionStorage.removeItem(STORE); sessionStorage.removeItem('zf-key'); } catch (e) {} notice('', ''); }
  var j = document.querySelector('.zf-jump');
  if (j && j.getAttribute('data-jump') !== lastJump) { lastJump = j.getAttribute('data-jump');
    var t = document.querySelector('.' + j.getAttribute('data-target'));
    if (t) { t.scrollIntoView({block: 'center'}); var f = t.querySelector('button, textarea'); if (f) f.focus({preventScroll: true}); } }
  later();
}).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
document.addEventListener('input', later, true);
window.voila_process = function(i, n){ window.update_loading_text(i, n, T.loading); };
})();
"""


def page_template(lang: str = "zh") -> str:
    """The Jinja template (``index.html.j2``) of the survey page in ``lang``."""
    text = {**PAGE_TEXT[lang], "max": COMMENT_MAX}
    script = PAGE_JS.replace("__TEXT__", json.dumps(text, ensure_ascii=False).replace("<", "\\u003c"))
    return (
        "{%- extends 'voila/templates/lab/index.html.j2' -%}\n"
        "{% from 'voila_setup.macro.html.j2' import voila_setup_helper_functions with context %}\n"
        "{%- block header -%}\n<!DOCTYPE html>\n<html lang=\"" + LANG_ATTR[lang] + "\">\n<head>\n"
        "{{ self.html_head() }}\n</head>\n{%- endblock header -%}\n"
        "{%- block notebook_css -%}\n"
        "{% if frontend == \"voila\" %}{{ resources.include_js(\"static/voila-style.js\") }}{% endif %}\n"
        + PAGE_CSS + "\n"
        "{{ resources.include_css(\"static/index.css\") }}\n"
        "{{ resources.include_css(\"static/theme-light.css\") }}\n"
        "{%- endblock notebook_css -%}\n"
        "{%- block body_header -%}\n<link rel=\"icon\" href=\"data:;base64,=\">\n"
        "<body class=\"jp-Notebook theme-light\" data-base-url=\"{{resources.base_url}}voila/\" "
        "data-jp-theme-light=\"true\" data-jp-theme-name=\"JupyterLab Light\" data-voila=\"voila\">\n"
        "<div id=\"loading\"><h2 id=\"loading_text\">" + PAGE_TEXT[lang]["loading"] + "</h2></div>\n"
        "{{ voila_setup_helper_functions() }}\n"
        "{% raw %}<script>" + script + "</script>{% endraw %}\n"
        "<div id=\"rendered_cells\" style=\"display: none\">\n  <div>\n"
        "{%- endblock body_header -%}\n"
    )
