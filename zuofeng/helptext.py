"""The Chinese of every help text of the command line, keyed by its English (words joined by single
spaces, see :func:`zuofeng.clihelp.key`). A new option or command needs its line here:
``tests/test_cli_lang.py`` walks the command tree and fails on a help text without one."""

HELP_ZH: dict[str, str] = {
    # click's own
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    # shared options
    "Language of the output, the help and the files written for people (default: zh).":
        "输出、帮助和写给人看的文件所用的语言：zh 中文（默认），en 英文。",
    "Database URL (default: $ZUOFENG_DB, else data/zuofeng.db of the project).":
        "数据库地址（默认：$ZUOFENG_DB，否则为项目的 data/zuofeng.db）。",
    "Output format.": "输出格式：table 表格，json。",
    "Seed of the scorer's resampling.": "评分引擎重抽样的随机种子。",
    "Seed of the scoring engine's resampling.": "评分引擎重抽样的随机种子。",
    "Show a progress bar on stderr.": "在标准错误输出上显示进度条。",
    "Notebooks rendered in parallel (default: the number of CPUs).": "同时生成的报告数（默认：CPU 核数）。",
    "The workbook to write (.xlsx).": "要写出的工作簿（.xlsx）。",
    # the root and groups
    "zuofeng (作风): anonymous self and peer surveys for a work-style improvement campaign.":
        "zuofeng（作风）：作风建设专项整治中的匿名自评与互评测评工具。",
    "The survey instrument (the 22 problem items).": "测评问卷（22 个问题）。",
    "Create, open, close and list survey rounds.": "创建、开放、关闭和列出测评轮次。",
    "Issue anonymous tokens as printable slips, and count issued and used tokens.":
        "发放匿名答题码（可打印的纸条），并统计已发放和已使用的答题码。",
    "The rectification ledger (整改台账): problem lists, entries, workbooks, verification.":
        "整改台账：问题清单、台账条目、台账工作簿、整改成效核验。",
    # instrument
    "Print the items, grouped by dimension.": "按五个方面列出全部问题。",
    "Instrument version (default: the newest).": "问卷版本（默认：最新版）。",
    # rounds
    "Create a draft round from a roster.": "根据部门名单创建一个轮次（草稿状态）。",
    "Title shown to respondents and in reports.": "答题人和报告中看到的标题。",
    "Departments: CSV (UTF-8/GBK) or .xlsx with code,name,unit_type,headcount[,party_members,division,peer_targets].":
        "部门名单：CSV（UTF-8/GBK）或 .xlsx，列为 code,name,unit_type,headcount"
        "[,party_members,division,peer_targets]（也可用中文列名）。",
    "Smallest group that is reported (at least 3).": "公布结果的最小组人数 k（至少 3）。",
    "Smallest group whose comments are shown (default max(10, k-min)).":
        "公布意见建议的最小组人数（默认 max(10, k-min)）。",
    "The round this one is compared with.": "与本轮比较的上一轮。",
    "English title, used by English reports.": "英文标题，用于英文报告。",
    "Weights of the views in the `all` and composite figures (default equal).":
        "各视角在“综合”和综合得分中的权重（默认相等）。",
    "Points of each democratic-evaluation option (default the instrument's).":
        "民主测评各选项的分值（默认按问卷）。",
    "Open a round for answers; its thresholds become fixed.": "开放轮次，开始接受答卷；此后公布门槛不再改变。",
    "Close a round: no more answers are accepted.": "关闭轮次：不再接受答卷。",
    "List the rounds in the store.": "列出数据库中的全部轮次。",
    # data
    "Store synthetic self and peer responses in an open round.": "在开放的轮次中存入模拟的自评和互评答卷。",
    "Random seed: same seed, same data.": "随机种子：种子相同，数据相同。",
    "Mean share of staff who answer.": "平均参与率（答卷人数占总人数的比例）。",
    "Coverage per department and survey kind, with every gap (盲区) flagged.":
        "各部门、各视角的参与覆盖情况，标出每一处缺口（盲区）。",
    # tokens and serving
    "Issue the missing tokens (top-up to headcount) and write them as slips; only the slips hold them.":
        "补发缺少的答题码（补足到人数），写成答题码纸条；答题码只在纸条上。",
    "Only self or only peer tokens (default: both).": "只发自评或只发互评答题码（默认：两种都发）。",
    "Outside-view peer tokens from every other department to CODE (repeatable).":
        "由其他所有部门评价部门 CODE 的外部互评答题码（可重复给出）。",
    "Spare tokens per scope, on top of headcount.": "每个范围在人数之外加发的备用答题码数。",
    "Printable A4 slips (HTML). Default slips-ROUND.html when --csv is not given either.":
        "可打印的 A4 答题码纸条（HTML）。未给 --csv 时默认写 slips-ROUND.html。",
    "Mail-merge CSV (UTF-8 with BOM).": "邮件合并用 CSV（UTF-8，带 BOM）。",
    "Public survey address, printed with its QR code (default: a line to write it on).":
        "测评网址，连同二维码印在纸条上（默认：留一条横线手写）。",
    "Overwrite existing slip files (their old tokens stay valid).": "覆盖已有的纸条文件（其中的答题码仍然有效）。",
    "Issued and used tokens per department and survey (counts only).":
        "各部门、各问卷已发放和已使用的答题码（只有数量）。",
    "Serve the survey of an open round (Voilà) until Ctrl-C.": "为开放的轮次提供网上测评页面（Voilà），按 Ctrl-C 停止。",
    "Address to bind (put a TLS proxy in front).": "监听的地址（请在前面加 TLS 代理）。",
    "Port to listen on.": "监听的端口。",
    "Preheated kernels kept ready for arriving respondents (0: none).": "为到来的答题人预热的内核数（0：不预热）。",
    "Seconds before the kernel of a closed or idle page is shut down.": "页面关闭或空闲多少秒后关闭其内核。",
    "Survey pages open at once; more respondents wait (0: no cap).": "同时打开的测评页面上限；超出的答题人排队等候（0：不限）。",
    "Serve the analyst's console (notebooks/console.ipynb, Voilà) on 127.0.0.1 with a login token, until Ctrl-C.":
        "在 127.0.0.1 上提供分析人员控制台（notebooks/console.ipynb，Voilà），凭打印出的登录地址进入，按 Ctrl-C 停止。",
    "Loopback port (127.0.0.1) to listen on.": "监听的本机端口（127.0.0.1）。",
    # scoring and reports
    "Score a round: indices with intervals, evaluation, reliability, change, ranks, problems, quality flags.":
        "评分：作风指数及其区间、民主测评、信度、变化、排名、问题清单、数据质量标记。",
    "Write the long table to FILE: .csv, .xlsx (one sheet per level) or .parquet. Without it, print a short summary.":
        "把长表写入 FILE：.csv、.xlsx（每个层级一个工作表）或 .parquet。不给时只打印简要结果。",
    "Seed of the bootstrap rank ranges.": "排名范围模拟的随机种子。",
    "Score a round once and render its overview and department reports (notebooks and HTML, with an index). "
    "A failing report does not stop the others; it is named in the index and the command exits with 2.":
        "评分一次，生成总体报告和各部门报告（笔记本和 HTML，附目录）。\n\n"
        "某份报告出错不影响其他报告；目录中会列出它，命令以 2 退出。",
    "Render only this department; the other reports in the folder are kept.": "只生成这个部门的报告；文件夹中的其他报告保留。",
    "Report folder (default: reports/ROUND); replaced as a whole when the batch ends.":
        "报告文件夹（默认：reports/ROUND）；全部生成后整体替换。",
    "leading: overview and department reports; inspection: the restricted report for the discipline-inspection "
    "team (reports/ROUND-inspection, owner-only); public: the organisation-level summary, HTML and a 1080-px PNG "
    "(reports/ROUND-public).":
        "leading：总体报告和部门报告；inspection：报送纪检监察组的限阅报告（reports/ROUND-inspection，仅本人可读）；"
        "public：全组织层面的公开摘要，HTML 和 1080 像素 PNG（reports/ROUND-public）。",
    "A whole campaign on synthetic data: twelve departments, a baseline and a final round, scored and rendered; "
    "prints the path of the final round's index.html.":
        "用模拟数据演示一次完整的专项整治：十二个部门，基线和年终两轮，评分并生成报告；打印年终轮 index.html 的路径。",
    "Folder for the demo store and reports (default: reports/demo of the project).":
        "演示数据库和报告的文件夹（默认：项目的 reports/demo）。",
    "Use this database instead of a fresh SQLite file in the output folder.": "使用这个数据库，而不是在输出文件夹中新建 SQLite 文件。",
    # import, export, backup
    "Import answer sheets (template, 问卷星, LimeSurvey) into ROUND: all or nothing.":
        "把答卷（录入模板、问卷星、LimeSurvey）导入轮次 ROUND：要么全部导入，要么一份不导入。",
    "File format: the ballot template, a 问卷星 download or a LimeSurvey export.":
        "文件格式：录入模板、问卷星下载的数据或 LimeSurvey 导出的数据。",
    "YAML file saying which column is which and what its codes mean.": "YAML 映射文件：说明哪一列是哪道题、代码代表什么。",
    "Validate and report only; store nothing.": "只检查并报告，不存入任何内容。",
    "Import even if the same content was imported before.": "即使同样的内容已导入过也导入。",
    "Write an empty ballot template (.xlsx or .csv) instead; with ROUND it lists its departments.":
        "改为写出空白录入模板（.xlsx 或 .csv）；给出 ROUND 时列出该轮的部门。",
    "Export anonymous answer sheets, coverage and scores of ROUND to Excel.":
        "把轮次 ROUND 的匿名答卷、参与覆盖和得分导出到 Excel（供领导小组）。",
    "Copy an SQLite store consistently, even while surveys write to it.": "一致地复制 SQLite 数据库，测评进行中也可以。",
    "The new file to copy the store to.": "数据库复制到的新文件。",
    # ledger
    "Seed one entry per department × flagged item of ROUND's problem list (safe to run again).":
        "按轮次 ROUND 的问题清单，为每个部门×问题建立一条台账（可重复运行）。",
    "Print (or write to Excel) the problem list (问题清单) of every department of ROUND.":
        "打印（或写入 Excel）轮次 ROUND 各部门的问题清单。",
    "Only this department.": "只看这个部门。",
    "Write the list to this .xlsx file.": "把清单写入这个 .xlsx 文件。",
    "Write the ledger workbook that departments fill in.": "写出由各部门填写的台账工作簿。",
    "Only this department's entries.": "只含这个部门的条目。",
    "Take a filled ledger workbook back: all or nothing.": "收回填好的台账工作簿：要么全部接受，要么一处不改。",
    "Check only; store nothing.": "只检查，不存入任何内容。",
    "Allow a status to move back (e.g. 已完成 → 整改中).": "允许状态回退（例如 已完成 → 整改中）。",
    "Who records the changes (default: import FILE).": "记录这些修改的人（默认：import FILE）。",
    "Completion, overdue entries and missing evidence per department; verification once the next round exists.":
        "各部门的完成情况、逾期条目和缺少的佐证材料；有下一轮后给出整改成效核验。",
    "Rater groups (测评人员类别), each bound to its 答题码 (default: none).":
        "测评人员类别（如 领导班子,中层干部,一般干部,服务对象），与答题码绑定（默认：不分类别）。",
    "Weights of the rater groups in their composite, in the same order (default equal).":
        "各测评人员类别在加权综合中的权重，顺序与类别相同（默认：相等）。",
    "Reopen a closed round although a later round compares with it.":
        "即使后一轮以本轮为对比基线，也重新开放已关闭的轮次。",
    "Rounds with rater groups: CSV department,group,count[,targets], one token batch a row.":
        "分测评人员类别的轮次：CSV 文件，每行一批答题码：部门,类别,数量[,被评部门]。",
    "Printable A4 paper ballots (HTML): one questionnaire per 答题码, printed on it, and a count sheet per department.":
        "可打印的 A4 纸质答卷（HTML）：每个答题码一份印有答题码的问卷，每个部门一张计票单。",
    "A reverse proxy on this machine forwards every request (deploy/): trust its X-Real-IP.":
        "本机的反向代理转发所有请求（见 deploy/）：采信其 X-Real-IP。",
    "Wrong 答题码 a client may enter in a row before it waits (default 20, then one per 3 s; 0: no limit).":
        "同一客户端连续输错答题码多少次后需要等待（默认 20 次，之后每 3 秒一次；0：不限制）。",
    "Who rates a department from outside: every other department on the 民主测评 table (all), those of the rater's division (division), or only the roster's peer_targets (targets).":
        "谁从外部评价一个部门：其他所有部门在民主测评表上评价（all），本归口的其他部门（division），或只由名册 peer_targets 所列部门评价（targets）。",
}
