"""The light entry page of ``zuofeng serve``: a plain HTML page that takes the token before any kernel starts.

A respondent first gets a small HTML page from the survey server itself (title, privacy promise with
the round's k, one token field; Enter submits). It starts no kernel and loads no JupyterLab script.
The token travels in the body of a POST to ``start``, never in an address; the server checks it with
the collection desk (``zuofeng.collect.desk``) and answers with a ticket (``tickets``). A GET of any
address without a ticket starts no kernel.

Once the entry page has loaded (the respondent is typing), it has the browser fetch the survey's scripts
and stylesheets (``prefetch``).
"""

from __future__ import annotations

import html

from .prefetch import WORKER_NAME, worker_version
from .prefetch import js_literal as _js

LANG_ATTR = {"zh": "zh-CN", "en": "en"}

ENTRY_TEXT = {
    "zh": {"label": "答题码", "hint": "纸条上的16位字母和数字，大小写、空格和横线均可。", "start": "开始答题",
           "opening": "正在打开问卷……", "saved": "本设备上保存着您尚未提交的答案：输入同一答题码即可继续。",
           "busy": "答题人数较多，请稍候，页面会自动继续……", "expired": "页面已过期，请重新输入答题码。",
           "limit": "输入错误的答题码次数过多，请{s}秒后再试。", "stopping": "问卷服务器正在停止，请稍后重新打开本页。"},
    "en": {"label": "Token", "hint": "The 16 letters and digits on your slip; case, spaces and dashes do not matter.",
           "start": "Start", "opening": "Opening the survey…",
           "saved": "Unsubmitted answers are kept on this device: enter the same token to continue.",
           "busy": "Many people are answering right now: please wait, this page continues by itself…",
           "expired": "This page has expired: please enter your token again.",
           "limit": "Too many wrong tokens: please try again in {s} seconds.",
           "stopping": "The survey server is stopping: please open this page again in a moment."},
}



def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


# SHA-256 in plain JavaScript (public-domain compact form): the page stores unsubmitted answers under a
# hash of round and token, and crypto.subtle is missing on plain-http addresses.
SHA256_JS = r"""function zfSha256(ascii){function rr(v,a){return(v>>>a)|(v<<(32-a));}
var P=Math.pow,M=P(2,32),i,j,r='',w=[],L=ascii.length*8,h=[],k=[],n=0,c={};
for(var q=2;n<64;q++){if(!c[q]){for(i=0;i<313;i+=q)c[i]=q;h[n]=(P(q,.5)*M)|0;k[n++]=(P(q,1/3)*M)|0;}}
h=h.slice(0,8);ascii+='\x80';while(ascii.length%64-56)ascii+='\x00';
for(i=0;i<ascii.length;i++){j=ascii.charCodeAt(i);if(j>>8)return '';w[i>>2]|=j<<((3-i)%4)*8;}
w[w.length]=((L/M)|0);w[w.length]=L;
for(j=0;j<w.length;){var x=w.slice(j,j+=16),o=h;h=h.slice(0,8);
for(i=0;i<64;i++){var a=x[i-15],b=x[i-2],A=h[0],E=h[4];
var t1=h[7]+(rr(E,6)^rr(E,11)^rr(E,25))+((E&h[5])^((~E)&h[6]))+k[i]+(x[i]=(i<16)?x[i]:(x[i-16]+(rr(a,7)^rr(a,18)^(a>>>3))+x[i-7]+(rr(b,17)^rr(b,19)^(b>>>10)))|0);
var t2=(rr(A,2)^rr(A,13)^rr(A,22))+((A&h[1])^(A&h[2])^(h[1]&h[2]));h=[(t1+t2)|0].concat(h);h[4]=(h[4]+t1)|0;}
for(i=0;i<8;i++)h[i]=(h[i]+o[i])|0;}
for(i=0;i<8;i++)for(j=3;j+1;j--){var y=(h[i]>>(j*8))&255;r+=((y<16)?0:'')+y.toString(16);}return r;}
function zfNormal(t){return t.toUpperCase().replace(/[^0-9A-Z]/g,'');}"""

ENTRY_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
 font-size:17px;line-height:1.6;color:#1f2328;background:#fff}
main{max-width:720px;margin:0 auto;padding:16px}
h1{font-size:1.4em;line-height:1.3;margin:.3em 0 .6em}
.zf-privacy{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6em .9em;font-size:.95em}
.zf-privacy ul{margin:.3em 0;padding-left:1.2em}
label{display:block;font-weight:700;margin:1em 0 .2em}
.zf-hint{color:#57606a;font-size:.9em;margin:0 0 .4em}
input{width:100%;max-width:24em;font-size:1.15em;letter-spacing:.05em;min-height:48px;padding:.3em .5em;
 border:2px solid #57606a;border-radius:6px}
button{display:block;margin-top:.8em;min-height:48px;min-width:10em;font-size:1.05em;font-weight:700;color:#fff;
 background:#1f6feb;border:0;border-radius:6px;padding:.4em 1.4em;cursor:pointer}
button[disabled]{background:#57606a}
:focus-visible{outline:3px solid #bf3989;outline-offset:2px}
.zf-msg-error{color:#b42318;font-weight:600}
.zf-note{color:#1a5fb4;font-weight:600}
"""


def entry_page(round_info: dict, *, lang: str = "zh", message: str = "", n_items: int = 22,
               prefetch: tuple[str, ...] = (), xsrf: str = "", script_nonce: str = "") -> str:
    """The HTML of the entry page (title, privacy promise with k, the token form).

    ``message`` is a refusal already worded for the respondent (escaped here); ``prefetch`` lists
    addresses of the survey's scripts the browser may fetch while the respondent types: through the
    page's service worker (``worker_script``) where the browser has one, else as ``<link rel=prefetch>``.
    ``xsrf`` is the form's hidden XSRF field (tornado's ``xsrf_form_html``), ``script_nonce`` the nonce
    of the response's Content-Security-Policy, put on the page's one inline script and stylesheet.
    """
    n = f' nonce="{_esc(script_nonce)}"' if script_nonce else ""
    from ..survey_text import PRIVACY, TEXT
    worker = f"{WORKER_NAME}?v={worker_version(prefetch)}"
    t, e = TEXT[lang], ENTRY_TEXT[lang]
    promise = PRIVACY[lang].format(k=int(round_info["k_min"]), k_comment=int(round_info["k_comment"]), n=n_items)
    msg = f"<p id='zf-message' class='zf-msg-error' role='alert'>{_esc(message)}</p>" if message else \
        "<p id='zf-message' role='status'></p>"
    return f"""<!DOCTYPE html>
<html lang="{LANG_ATTR[lang]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><link rel="icon" href="data:,">
<title>{_esc(round_info['title'])}</title><style{n}>{ENTRY_CSS}</style></head>
<body><main>
<h1>{_esc(round_info['title'])}</h1>
<div class="zf-privacy">{promise}</div>
<form id="zf-entry" method="post" action="start" autocomplete="off">{xsrf}
<label for="zf-token">{_esc(e['label'])}</label>
<p class="zf-hint" id="zf-hint">{_esc(e['hint'])}</p>
<input id="zf-token" name="token" type="text" required autofocus spellcheck="false" autocapitalize="characters"
 autocomplete="off" inputmode="text" aria-describedby="zf-hint" placeholder="ABCD-EFGH-JKLM-NPQR">
<button id="zf-start" type="submit">{_esc(t['start'])}</button>
{msg}
<p id="zf-saved" class="zf-note" hidden>{_esc(e['saved'])}</p>
</form></main>
<script{n}>
{SHA256_JS}
(function(){{
var f=document.getElementById('zf-entry'),b=document.getElementById('zf-start'),fetched=false;
try{{for(var i=0;i<sessionStorage.length;i++){{if(sessionStorage.key(i).indexOf('zf-answers-')===0){{
document.getElementById('zf-saved').hidden=false;break;}}}}}}catch(err){{}}
function prefetch(){{if(fetched)return;fetched=true;var files={_js(list(prefetch))};if(!files.length)return;
if(window.isSecureContext&&navigator.serviceWorker){{navigator.serviceWorker.register({_js(worker)},{{scope:'./'}})
.catch(function(){{}});return;}}
files.forEach(function(u){{var l=document.createElement('link');l.rel='prefetch';l.href=u;document.head.appendChild(l);}});}}
document.getElementById('zf-token').addEventListener('input',prefetch);
window.addEventListener('load',function(){{setTimeout(prefetch,300);}});
f.addEventListener('submit',function(){{
try{{sessionStorage.setItem('zf-key',zfSha256({_js('zuofeng:' + round_info['code'] + ':')}+zfNormal(f.token.value)));}}catch(err){{}}
b.disabled=true;b.textContent={_js(e['opening'])};}});
window.addEventListener('pageshow',function(){{b.disabled=false;b.textContent={_js(t['start'])};}});
}})();
</script></body></html>"""


def waiting_page(lang: str = "zh") -> str:
    """The "please wait" page shown while the cap on live kernels is reached (reloads every 3 s)."""
    text = ENTRY_TEXT[lang]["busy"]
    return (f'<!DOCTYPE html><html lang="{LANG_ATTR[lang]}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_esc(text)}</title>'
            f'<style>{ENTRY_CSS}</style></head><body><main><p class="zf-note" id="zf-wait">{_esc(text)}</p>'
            f'</main></body></html>')
