"""The disclosure vocabulary, written once: the labels content/ files and forms use (and pages
show), and the codes the database stores."""

# label → code
DISCLOSURE_MODES = {"主动公开": "proactive", "依申请公开": "on_request"}
VALIDITIES = {"有效": "valid", "失效": "expired", "废止": "repealed"}

# code → label
MODE_LABELS = {code: label for label, code in DISCLOSURE_MODES.items()}
VALIDITY_LABELS = {code: label for label, code in VALIDITIES.items()}
