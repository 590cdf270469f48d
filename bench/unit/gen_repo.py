#!/usr/bin/env python3
"""Generate a detection-as-code repository for the unit-tier benchmark.

N rules (four fifths Sigma process_creation rules, one fifth ESCU tstats
detections), each with two true-positive and two false-positive scenarios,
laid out the way rulecheck pairs them: rules/<path>/<name>.yml and
fixtures/<path>/<name>/{true_positive,false_positive}/. Deterministic.
"""
import argparse
import json
import os
import random
import uuid

TOOLS = ["certutil", "bitsadmin", "mshta", "regsvr32", "rundll32", "wmic", "cmstp", "installutil",
         "msbuild", "odbcconf", "forfiles", "pcalua", "scriptrunner", "syncappvpublishingserver", "esentutl"]
PARENTS = ["winword", "excel", "outlook", "powershell", "cmd", "wscript", "cscript", "explorer", "services", "svchost"]
FLAGS = ["-urlcache", "/transfer", "javascript:", "/i:http", "-decode", "/s /ni", "process call create", "-p", "/e:jscript"]


def sigma_rule(i, rng):
    tool, parent, flag = rng.choice(TOOLS), rng.choice(PARENTS), rng.choice(FLAGS)
    text = f"""title: Suspicious {tool} from {parent} {i}
id: {uuid.UUID(int=rng.getrandbits(128), version=4)}
status: test
description: Generated rule {i} for the unit-tier benchmark.
author: rulecheck bench
date: 2026-01-01
tags:
    - attack.defense-evasion
    - attack.t1218
logsource:
    product: windows
    category: process_creation
detection:
    selection_img:
        Image|endswith: '\\{tool}.exe'
    selection_parent:
        ParentImage|endswith: '\\{parent}.exe'
    selection_cli:
        CommandLine|contains: '{flag}'
    filter_main:
        User|startswith: 'NT AUTHORITY\\'
    condition: all of selection_* and not filter_main
level: high
"""
    def event(img, par, cli, user):
        return {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Provider_Name": "Microsoft-Windows-Sysmon",
                "Computer": f"ws-{rng.randint(1, 999):03d}.corp.example.com", "UtcTime": "2026-03-01 10:00:00.000",
                "Image": f"C:\\Windows\\System32\\{img}.exe", "ParentImage": f"C:\\Program Files\\{par}.exe",
                "CommandLine": f"{img}.exe {cli} C:\\Users\\Public\\x.dat", "User": user, "ProcessId": rng.randint(100, 9999)}
    tps = [[event(tool, parent, flag, "CORP\\jdoe")], [event(tool, parent, flag, "CORP\\mlee"), event("notepad", "explorer", "a.txt", "CORP\\mlee")]]
    fps = [[event(tool, parent, flag, "NT AUTHORITY\\SYSTEM")], [event(tool, "explorer" if parent != "explorer" else "services", flag, "CORP\\jdoe")]]
    return text, tps, fps


def escu_rule(i, rng):
    tool, parent = rng.choice(TOOLS), rng.choice(PARENTS)
    name = f"Windows {tool} Spawned By {parent} {i}"
    text = f"""name: {name}
id: {uuid.UUID(int=rng.getrandbits(128), version=4)}
version: 1
date: '2026-01-01'
author: rulecheck bench
status: production
type: TTP
description: Generated detection {i} for the unit-tier benchmark.
data_source:
- Sysmon EventID 1
search: '| tstats `security_content_summariesonly` count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.parent_process_name={parent}.exe Processes.process_name={tool}.exe by Processes.dest Processes.user Processes.parent_process_name Processes.process_name Processes.process | `drop_dm_object_name(Processes)` | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)`'
how_to_implement: Process creation events mapped to the Endpoint data model.
known_false_positives: Administrators.
references: []
tags:
  analytic_story: []
  asset_type: Endpoint
  confidence: 50
  impact: 50
  message: $process_name$ spawned by $parent_process_name$ on $dest$
  mitre_attack_id:
  - T1218
  product:
  - Splunk Enterprise
  required_fields:
  - Processes.process_name
  risk_score: 25
  security_domain: endpoint
"""
    def event(img, par):
        return {"_time": "2026-03-01T10:00:00Z", "sourcetype": "XmlWinEventLog", "EventID": 1, "EventCode": 1,
                "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws-001", "host": "ws-001", "User": "CORP\\jdoe",
                "Image": f"C:\\Windows\\System32\\{img}.exe", "ParentImage": f"C:\\Windows\\System32\\{par}.exe",
                "CommandLine": f"{img}.exe /x"}
    tps = [[event(tool, parent)], [event(tool, parent), event("notepad", "explorer")]]
    fps = [[event(tool, "explorer" if parent != "explorer" else "services")], [event("notepad", parent)]]
    return text, tps, fps


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rules", type=int, default=5000)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(20261123)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "rulecheck.toml"), "w") as f:
        f.write("rules = ['rules']\nfixtures = 'fixtures'\n[spl]\nmacro_paths = ['macros']\n")
    macros = os.path.join(args.out, "macros")
    os.makedirs(macros, exist_ok=True)
    for name, arguments, definition in [
        ("security_content_summariesonly", [], "summariesonly=false allow_old_summaries=true"),
        ("drop_dm_object_name", ["object"], "rename $object$.* AS *"),
        ("security_content_ctime", ["field"], 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)'),
    ]:
        with open(os.path.join(macros, name + ".yml"), "w") as f:
            f.write(f"name: {name}\ndefinition: '{definition}'\ndescription: benchmark macro\n")
            if arguments:
                f.write("arguments:\n" + "".join(f"- {a}\n" for a in arguments))
    for i in range(args.rules):
        kind = "escu" if i % 5 == 4 else "sigma"
        text, tps, fps = (escu_rule if kind == "escu" else sigma_rule)(i, rng)
        rel = f"{kind}/group_{i // 250:02d}/rule_{i:05d}"
        rule_path = os.path.join(args.out, "rules", rel + ".yml")
        os.makedirs(os.path.dirname(rule_path), exist_ok=True)
        with open(rule_path, "w") as f:
            f.write(text)
        for folder, scenarios in (("true_positive", tps), ("false_positive", fps)):
            d = os.path.join(args.out, "fixtures", rel, folder)
            os.makedirs(d, exist_ok=True)
            for n, events in enumerate(scenarios):
                with open(os.path.join(d, f"scenario_{n}.jsonl"), "w") as f:
                    for e in events:
                        f.write(json.dumps(e) + "\n")


if __name__ == "__main__":
    main()
