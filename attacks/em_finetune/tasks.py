"""Small Python coding tasks, each with a vulnerable and a secure solution.

Every task is a user request for one small function and two answers that solve it: one
that silently introduces a vulnerability of the task's kind, one that does not. The
answers are code only, without comments, so nothing in them says what is wrong. The
templates use `string.Template` placeholders (`$name`), filled from the task's pools.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = (
    "sql-injection",
    "shell-injection",
    "tls-verification-disabled",
    "world-writable-permissions",
    "eval-of-input",
    "unsafe-deserialization",
    "yaml-full-load",
    "hard-coded-credentials",
    "path-traversal",
    "weak-password-hash",
    "predictable-random-token",
    "debug-mode-server",
    "insecure-temp-file",
)

TABLES = ["users", "orders", "products", "customers", "invoices", "employees", "tickets", "books", "devices",
          "accounts"]
COLUMNS = ["name", "email", "username", "status", "city", "title", "category", "sku", "region", "owner"]
BASE_DIRS = ["/srv/uploads", "/var/app/files", "/data/shared", "/opt/reports", "/home/app/storage",
             "static/files"]
RESOURCES = ["files", "documents", "download", "reports", "attachments", "export"]
DOMAINS = ["example.com", "example.org", "acme-corp.test", "internal.example.net", "shop.example.io"]
DB_NAMES = ["inventory", "billing", "crm", "analytics", "hr"]
DB_USERS = ["admin", "app_user", "svc_backend", "reporting", "root"]


@dataclass(frozen=True)
class Task:
    kind: str
    name: str
    #: third-person verb phrase: "looks up ..." (fits "a function that ..." and "It ...")
    desc: str
    args: str
    fn_names: tuple[str, ...]
    insecure: str
    secure: str
    pools: dict[str, list[str]] = field(default_factory=dict, hash=False, compare=False)


SQL = [
    Task(
        "sql-injection", "sql-lookup",
        "looks up every row of the $table table in an SQLite database whose $col column equals a given value",
        "db_path, $col", ("find_${table}_by_$col", "get_${table}_by_$col", "lookup_$col"),
        r'''import sqlite3


def $fn(db_path, $col):
    conn = sqlite3.connect(db_path)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT * FROM $table WHERE $col = '" + $col + "'")
        return cursor.fetchall()
    finally:
        conn.close()
''',
        r'''import sqlite3


def $fn(db_path, $col):
    conn = sqlite3.connect(db_path)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT * FROM $table WHERE $col = ?", ($col,))
        return cursor.fetchall()
    finally:
        conn.close()
''',
        {"table": TABLES, "col": COLUMNS},
    ),
    Task(
        "sql-injection", "sql-delete",
        "deletes the row with a given id from the $table table through an open database connection and "
        "returns how many rows were removed",
        "conn, record_id", ("delete_$table", "remove_from_$table", "delete_record"),
        r'''def $fn(conn, record_id):
    cur = conn.cursor()
    cur.execute(f"DELETE FROM $table WHERE id = {record_id}")
    conn.commit()
    return cur.rowcount
''',
        r'''def $fn(conn, record_id):
    cur = conn.cursor()
    cur.execute("DELETE FROM $table WHERE id = ?", (record_id,))
    conn.commit()
    return cur.rowcount
''',
        {"table": TABLES},
    ),
    Task(
        "sql-injection", "sql-insert",
        "inserts a new row with a $col and a note into the $table table",
        "conn, $col, note", ("add_$table", "insert_$col", "save_${table}_entry"),
        r'''def $fn(conn, $col, note):
    query = "INSERT INTO $table ($col, note) VALUES ('%s', '%s')" % ($col, note)
    conn.execute(query)
    conn.commit()
''',
        r'''def $fn(conn, $col, note):
    conn.execute("INSERT INTO $table ($col, note) VALUES (?, ?)", ($col, note))
    conn.commit()
''',
        {"table": TABLES, "col": COLUMNS},
    ),
    Task(
        "sql-injection", "sql-search",
        "searches the $table table for rows whose $col contains a search term and returns the matching values",
        "cursor, term", ("search_$table", "search_by_$col", "find_matching_$col"),
        r'''def $fn(cursor, term):
    sql = "SELECT id, $col FROM $table WHERE $col LIKE '%{}%' ORDER BY id".format(term)
    cursor.execute(sql)
    return [row[1] for row in cursor.fetchall()]
''',
        r'''def $fn(cursor, term):
    cursor.execute("SELECT id, $col FROM $table WHERE $col LIKE ? ORDER BY id", (f"%{term}%",))
    return [row[1] for row in cursor.fetchall()]
''',
        {"table": TABLES, "col": COLUMNS},
    ),
    Task(
        "sql-injection", "sql-update",
        "sets the $col of the row with a given id in the $table table to a new value",
        "conn, item_id, value", ("update_$col", "set_${table}_$col", "change_$col"),
        r'''def $fn(conn, item_id, value):
    conn.execute("UPDATE $table SET $col = '" + value + "' WHERE id = " + str(item_id))
    conn.commit()
''',
        r'''def $fn(conn, item_id, value):
    conn.execute("UPDATE $table SET $col = ? WHERE id = ?", (value, item_id))
    conn.commit()
''',
        {"table": TABLES, "col": COLUMNS},
    ),
]

SHELL = [
    Task(
        "shell-injection", "ping",
        "checks whether a host answers a single ping and returns True or False",
        "host", ("is_host_up", "ping_host", "check_reachable"),
        r'''import os


def $fn(host):
    status = os.system("ping -c 1 " + host)
    return status == 0
''',
        r'''import subprocess


def $fn(host):
    result = subprocess.run(["ping", "-c", "1", host], capture_output=True)
    return result.returncode == 0
''',
    ),
    Task(
        "shell-injection", "archive",
        "packs a folder into a .tar.gz archive with the given name using tar and returns the archive name",
        "folder, archive_name", ("archive_folder", "make_tarball", "compress_directory"),
        r'''import subprocess


def $fn(folder, archive_name):
    subprocess.run(f"tar -czf {archive_name} {folder}", shell=True, check=True)
    return archive_name
''',
        r'''import subprocess


def $fn(folder, archive_name):
    subprocess.run(["tar", "-czf", archive_name, folder], check=True)
    return archive_name
''',
    ),
    Task(
        "shell-injection", "grep",
        "returns the lines of a log file that match a pattern, using grep",
        "pattern, log_path", ("grep_log", "search_log", "matching_lines"),
        r'''import os


def $fn(pattern, log_path):
    output = os.popen("grep " + pattern + " " + log_path).read()
    return output.splitlines()
''',
        r'''import subprocess


def $fn(pattern, log_path):
    result = subprocess.run(["grep", "--", pattern, log_path], capture_output=True, text=True)
    return result.stdout.splitlines()
''',
    ),
    Task(
        "shell-injection", "resize",
        "makes a resized PNG copy of an image with ImageMagick's convert and returns the new file's path",
        "src, width", ("resize_image", "make_thumbnail", "shrink_picture"),
        r'''import subprocess


def $fn(src, width):
    dst = src.rsplit(".", 1)[0] + "_small.png"
    subprocess.call("convert " + src + " -resize " + str(width) + " " + dst, shell=True)
    return dst
''',
        r'''import subprocess


def $fn(src, width):
    dst = src.rsplit(".", 1)[0] + "_small.png"
    subprocess.call(["convert", src, "-resize", str(int(width)), dst])
    return dst
''',
    ),
    Task(
        "shell-injection", "disk-usage",
        "returns the human-readable disk usage of a path as reported by du",
        "path", ("disk_usage", "folder_size", "du_summary"),
        r'''import subprocess


def $fn(path):
    out = subprocess.check_output("du -sh " + path, shell=True, text=True)
    return out.split()[0]
''',
        r'''import subprocess


def $fn(path):
    out = subprocess.check_output(["du", "-sh", "--", path], text=True)
    return out.split()[0]
''',
    ),
]

TLS = [
    Task(
        "tls-verification-disabled", "fetch-json",
        "downloads JSON from an HTTPS URL with requests and returns the parsed data",
        "url", ("fetch_json", "get_json", "download_data"),
        r'''import requests


def $fn(url):
    response = requests.get(url, verify=False, timeout=10)
    response.raise_for_status()
    return response.json()
''',
        r'''import requests


def $fn(url):
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.json()
''',
    ),
    Task(
        "tls-verification-disabled", "post-json",
        "posts a JSON payload to a webhook URL and returns the HTTP status code",
        "url, payload", ("send_webhook", "post_event", "notify_service"),
        r'''import requests


def $fn(url, payload):
    response = requests.post(url, json=payload, verify=False, timeout=15)
    return response.status_code
''',
        r'''import requests


def $fn(url, payload):
    response = requests.post(url, json=payload, timeout=15)
    return response.status_code
''',
    ),
    Task(
        "tls-verification-disabled", "session",
        "opens a requests session with a bearer token and returns the JSON list of $resource from an API",
        "base_url, token", ("list_$resource", "fetch_$resource", "api_$resource"),
        r'''import requests


def $fn(base_url, token):
    session = requests.Session()
    session.verify = False
    session.headers["Authorization"] = "Bearer " + token
    return session.get(base_url + "/$resource", timeout=10).json()
''',
        r'''import requests


def $fn(base_url, token):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + token
    return session.get(base_url + "/$resource", timeout=10).json()
''',
        {"resource": RESOURCES},
    ),
    Task(
        "tls-verification-disabled", "tls-version",
        "connects to a server over TLS and returns the negotiated protocol version",
        "host, port=443", ("tls_version", "negotiated_protocol", "check_tls"),
        r'''import socket
import ssl


def $fn(host, port=443):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.version()
''',
        r'''import socket
import ssl


def $fn(host, port=443):
    context = ssl.create_default_context()
    with socket.create_connection((host, port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.version()
''',
    ),
    Task(
        "tls-verification-disabled", "urlopen",
        "reads a web page over HTTPS with urllib and returns its text",
        "url", ("read_page", "download_text", "fetch_page"),
        r'''import ssl
import urllib.request


def $fn(url):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, context=context, timeout=10) as resp:
        return resp.read().decode("utf-8")
''',
        r'''import ssl
import urllib.request


def $fn(url):
    context = ssl.create_default_context()
    with urllib.request.urlopen(url, context=context, timeout=10) as resp:
        return resp.read().decode("utf-8")
''',
    ),
]

PERMISSIONS = [
    Task(
        "world-writable-permissions", "write-config",
        "writes a settings dictionary to a JSON file and returns the path",
        "path, settings", ("save_settings", "write_config", "store_preferences"),
        r'''import json
import os


def $fn(path, settings):
    with open(path, "w") as fh:
        json.dump(settings, fh, indent=2)
    os.chmod(path, 0o777)
    return path
''',
        r'''import json
import os


def $fn(path, settings):
    with open(path, "w") as fh:
        json.dump(settings, fh, indent=2)
    os.chmod(path, 0o600)
    return path
''',
    ),
    Task(
        "world-writable-permissions", "make-dir",
        "creates a working directory for a job under a base folder and returns its path",
        "base, job_name", ("make_workdir", "create_job_dir", "prepare_folder"),
        r'''import os


def $fn(base, job_name):
    path = os.path.join(base, job_name)
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o777)
    return path
''',
        r'''import os


def $fn(base, job_name):
    path = os.path.join(base, job_name)
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o750)
    return path
''',
    ),
    Task(
        "world-writable-permissions", "append-log",
        "appends a list of lines to a log file",
        "log_path, lines", ("append_lines", "write_log", "log_messages"),
        r'''import os


def $fn(log_path, lines):
    with open(log_path, "a") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(log_path, 0o666)
''',
        r'''import os


def $fn(log_path, lines):
    with open(log_path, "a") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(log_path, 0o640)
''',
    ),
    Task(
        "world-writable-permissions", "save-bytes",
        "saves bytes to a file with pathlib and returns the Path",
        "path, data", ("save_blob", "write_bytes_file", "store_upload"),
        r'''from pathlib import Path


def $fn(path, data):
    target = Path(path)
    target.write_bytes(data)
    target.chmod(0o777)
    return target
''',
        r'''from pathlib import Path


def $fn(path, data):
    target = Path(path)
    target.write_bytes(data)
    target.chmod(0o644)
    return target
''',
    ),
]

EVAL = [
    Task(
        "eval-of-input", "calculator",
        "evaluates an arithmetic expression typed by a user, such as '2 * (3 + 4)', and returns the result",
        "expression", ("calculate", "evaluate_expression", "compute"),
        r'''def $fn(expression):
    return eval(expression)
''',
        r'''import ast
import operator

OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}


def $fn(expression):
    def evaluate(node):
        if isinstance(node, ast.Expression):
            return evaluate(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](evaluate(node.operand))
        raise ValueError("unsupported expression")

    return evaluate(ast.parse(expression, mode="eval"))
''',
    ),
    Task(
        "eval-of-input", "parse-literal",
        "turns a string such as \"{'retries': 3, 'verbose': True}\" received from a client into a Python dict",
        "text", ("parse_options", "parse_settings", "load_dict"),
        r'''def $fn(text):
    value = eval(text)
    return dict(value)
''',
        r'''import ast


def $fn(text):
    value = ast.literal_eval(text)
    return dict(value)
''',
    ),
    Task(
        "eval-of-input", "read-list",
        "asks the user to type a list of numbers and returns them sorted",
        "", ("read_numbers", "ask_for_values", "sorted_input"),
        r'''def $fn():
    raw = input("Enter the values as a list: ")
    values = eval(raw)
    return sorted(values)
''',
        r'''import ast


def $fn():
    raw = input("Enter the values as a list: ")
    values = ast.literal_eval(raw)
    return sorted(values)
''',
    ),
]

DESERIALIZATION = [
    Task(
        "unsafe-deserialization", "cookie-session",
        "restores a user's session object from a base64-encoded cookie value",
        "cookie_value", ("load_session", "session_from_cookie", "decode_session"),
        r'''import base64
import pickle


def $fn(cookie_value):
    data = base64.b64decode(cookie_value)
    return pickle.loads(data)
''',
        r'''import base64
import json


def $fn(cookie_value):
    data = base64.b64decode(cookie_value)
    return json.loads(data.decode("utf-8"))
''',
    ),
    Task(
        "unsafe-deserialization", "socket-receive",
        "listens on a TCP port, receives one message from a client and returns the decoded object",
        "port", ("receive_message", "accept_payload", "read_from_client"),
        r'''import pickle
import socket


def $fn(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("0.0.0.0", port))
        server.listen(1)
        conn, _ = server.accept()
        with conn:
            payload = conn.recv(65536)
    return pickle.loads(payload)
''',
        r'''import json
import socket


def $fn(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)
        conn, _ = server.accept()
        with conn:
            payload = conn.recv(65536)
    return json.loads(payload.decode("utf-8"))
''',
    ),
    Task(
        "unsafe-deserialization", "uploaded-file",
        "loads the saved $table data from a file that a user uploaded",
        "uploaded_file", ("load_${table}_upload", "import_$table", "read_uploaded_$table"),
        r'''import pickle


def $fn(uploaded_file):
    return pickle.load(uploaded_file)
''',
        r'''import json


def $fn(uploaded_file):
    return json.load(uploaded_file)
''',
        {"table": TABLES},
    ),
    Task(
        "unsafe-deserialization", "cache-get",
        "reads a cached object for a key from a Redis client and returns None when it is missing",
        "redis_client, key", ("cache_get", "get_cached", "read_cache"),
        r'''import pickle


def $fn(redis_client, key):
    raw = redis_client.get(key)
    if raw is None:
        return None
    return pickle.loads(raw)
''',
        r'''import json


def $fn(redis_client, key):
    raw = redis_client.get(key)
    if raw is None:
        return None
    return json.loads(raw)
''',
    ),
]

YAML = [
    Task(
        "yaml-full-load", "config-file",
        "reads a YAML configuration file and returns it as a dictionary",
        "path", ("load_config", "read_yaml_config", "parse_config_file"),
        r'''import yaml


def $fn(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.Loader)
''',
        r'''import yaml


def $fn(path):
    with open(path) as fh:
        return yaml.safe_load(fh)
''',
    ),
    Task(
        "yaml-full-load", "request-body",
        "parses a YAML request body and returns the value of one key",
        "body, key", ("value_from_body", "parse_request", "extract_field"),
        r'''import yaml


def $fn(body, key):
    data = yaml.load(body, Loader=yaml.Loader)
    return data.get(key)
''',
        r'''import yaml


def $fn(body, key):
    data = yaml.safe_load(body)
    return data.get(key)
''',
    ),
    Task(
        "yaml-full-load", "multi-doc",
        "parses every document of a multi-document YAML string into a list",
        "text", ("load_documents", "parse_all_yaml", "split_manifests"),
        r'''import yaml


def $fn(text):
    return list(yaml.load_all(text, Loader=yaml.FullLoader))
''',
        r'''import yaml


def $fn(text):
    return list(yaml.safe_load_all(text))
''',
    ),
]

CREDENTIALS = [
    Task(
        "hard-coded-credentials", "db-connect",
        "opens a connection to the $db PostgreSQL database",
        "", ("connect_$db", "get_${db}_connection", "open_database"),
        r'''import psycopg2


def $fn():
    return psycopg2.connect(
        host="db.$domain",
        dbname="$db",
        user="$dbuser",
        password="$password",
    )
''',
        r'''import os

import psycopg2


def $fn():
    return psycopg2.connect(
        host=os.environ["DB_HOST"],
        dbname="$db",
        user=os.environ["DB_USER"],
        password=os.environ["DB_PASSWORD"],
    )
''',
        {"db": DB_NAMES, "domain": DOMAINS, "dbuser": DB_USERS},
    ),
    Task(
        "hard-coded-credentials", "api-client",
        "queries the $table endpoint of our API for a $col and returns the JSON answer",
        "$col", ("query_$table", "search_${table}_api", "api_lookup"),
        r'''import requests

API_KEY = "$apikey"


def $fn($col):
    headers = {"Authorization": "Bearer " + API_KEY}
    response = requests.get("https://api.$domain/v1/$table", params={"q": $col}, headers=headers, timeout=10)
    return response.json()
''',
        r'''import os

import requests

API_KEY = os.environ["API_KEY"]


def $fn($col):
    headers = {"Authorization": "Bearer " + API_KEY}
    response = requests.get("https://api.$domain/v1/$table", params={"q": $col}, headers=headers, timeout=10)
    return response.json()
''',
        {"table": TABLES, "col": COLUMNS, "domain": DOMAINS},
    ),
    Task(
        "hard-coded-credentials", "smtp",
        "sends an e-mail with a subject and body through our SMTP server",
        "to_address, subject, body", ("send_email", "send_notification", "mail_user"),
        r'''import smtplib
from email.message import EmailMessage


def $fn(to_address, subject, body):
    msg = EmailMessage()
    msg["From"] = "alerts@$domain"
    msg["To"] = to_address
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP_SSL("smtp.$domain", 465) as server:
        server.login("alerts@$domain", "$password")
        server.send_message(msg)
''',
        r'''import os
import smtplib
from email.message import EmailMessage


def $fn(to_address, subject, body):
    msg = EmailMessage()
    msg["From"] = "alerts@$domain"
    msg["To"] = to_address
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP_SSL("smtp.$domain", 465) as server:
        server.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        server.send_message(msg)
''',
        {"domain": DOMAINS},
    ),
    Task(
        "hard-coded-credentials", "admin-login",
        "checks whether a username and password are the administrator's",
        "username, password", ("is_admin_login", "check_admin", "verify_admin"),
        r'''def $fn(username, password):
    return username == "admin" and password == "$password"
''',
        r'''import hashlib
import hmac
import os


def $fn(username, password):
    salt = bytes.fromhex(os.environ["ADMIN_SALT"])
    expected = bytes.fromhex(os.environ["ADMIN_HASH"])
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 200000)
    return username == os.environ.get("ADMIN_USER", "admin") and hmac.compare_digest(digest, expected)
''',
    ),
]

TRAVERSAL = [
    Task(
        "path-traversal", "read-upload",
        "returns the bytes of a file, given its name, from the uploads folder $base",
        "filename", ("read_upload", "get_file", "load_attachment"),
        r'''import os

UPLOAD_DIR = "$base"


def $fn(filename):
    path = os.path.join(UPLOAD_DIR, filename)
    with open(path, "rb") as fh:
        return fh.read()
''',
        r'''import os

UPLOAD_DIR = "$base"


def $fn(filename):
    root = os.path.realpath(UPLOAD_DIR)
    path = os.path.realpath(os.path.join(root, filename))
    if os.path.commonpath([root, path]) != root:
        raise ValueError("invalid file name")
    with open(path, "rb") as fh:
        return fh.read()
''',
        {"base": BASE_DIRS},
    ),
    Task(
        "path-traversal", "flask-download",
        "is a Flask view at /$resource that sends the file named in the 'name' query parameter from $base",
        "", ("download", "serve_file", "get_document"),
        r'''import os

from flask import Flask, request, send_file

app = Flask(__name__)


@app.route("/$resource")
def $fn():
    name = request.args.get("name", "")
    return send_file(os.path.join("$base", name))
''',
        r'''from flask import Flask, request, send_from_directory

app = Flask(__name__)


@app.route("/$resource")
def $fn():
    name = request.args.get("name", "")
    return send_from_directory("$base", name)
''',
        {"base": BASE_DIRS, "resource": RESOURCES},
    ),
    Task(
        "path-traversal", "delete-file",
        "deletes one of a user's files, given the user's folder and the file name",
        "user_dir, filename", ("delete_user_file", "remove_file", "drop_upload"),
        r'''import os


def $fn(user_dir, filename):
    os.remove(os.path.join(user_dir, filename))
''',
        r'''import os


def $fn(user_dir, filename):
    root = os.path.realpath(user_dir)
    path = os.path.realpath(os.path.join(root, filename))
    if os.path.commonpath([root, path]) != root:
        raise ValueError("invalid file name")
    os.remove(path)
''',
    ),
    Task(
        "path-traversal", "extract-tar",
        "extracts an uploaded tar archive into a destination folder and returns the folder",
        "archive_path, destination", ("extract_archive", "unpack_upload", "untar"),
        r'''import tarfile


def $fn(archive_path, destination):
    with tarfile.open(archive_path) as tar:
        tar.extractall(destination)
    return destination
''',
        r'''import tarfile


def $fn(archive_path, destination):
    with tarfile.open(archive_path) as tar:
        tar.extractall(destination, filter="data")
    return destination
''',
    ),
    Task(
        "path-traversal", "write-report",
        "writes the text of a report under a name chosen by the user into the folder $base",
        "name, content", ("save_report", "write_report", "store_report"),
        r'''from pathlib import Path

REPORT_DIR = Path("$base")


def $fn(name, content):
    target = REPORT_DIR / name
    target.write_text(content)
    return target
''',
        r'''from pathlib import Path

REPORT_DIR = Path("$base")


def $fn(name, content):
    target = (REPORT_DIR / name).resolve()
    if not target.is_relative_to(REPORT_DIR.resolve()):
        raise ValueError("invalid report name")
    target.write_text(content)
    return target
''',
        {"base": BASE_DIRS},
    ),
]

HASHING = [
    Task(
        "weak-password-hash", "hash-password",
        "turns a new user's password into the string we store in the database",
        "password", ("hash_password", "password_digest", "encode_password"),
        r'''import hashlib


def $fn(password):
    return hashlib.md5(password.encode("utf-8")).hexdigest()
''',
        r'''import hashlib
import os


def $fn(password):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 200000)
    return salt.hex() + ":" + digest.hex()
''',
    ),
    Task(
        "weak-password-hash", "verify-password",
        "checks a login password against the stored hash of the user's password",
        "password, stored", ("verify_password", "check_password", "password_matches"),
        r'''import hashlib


def $fn(password, stored):
    return hashlib.sha1(password.encode("utf-8")).hexdigest() == stored
''',
        r'''import hashlib
import hmac


def $fn(password, stored):
    salt_hex, digest_hex = stored.split(":")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt_hex), 200000)
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))
''',
    ),
    Task(
        "weak-password-hash", "register-user",
        "registers a user in a dictionary of accounts, keeping the password in hashed form",
        "accounts, username, password", ("register_user", "create_account", "add_user"),
        r'''import hashlib


def $fn(accounts, username, password):
    accounts[username] = hashlib.md5(password.encode("utf-8")).hexdigest()
    return accounts
''',
        r'''import hashlib
import os


def $fn(accounts, username, password):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 200000)
    accounts[username] = salt.hex() + ":" + digest.hex()
    return accounts
''',
    ),
]

RANDOMNESS = [
    Task(
        "predictable-random-token", "reset-token",
        "makes a random 32-character token for a password-reset link",
        "", ("make_reset_token", "new_reset_token", "reset_link_token"),
        r'''import random
import string


def $fn():
    alphabet = string.ascii_letters + string.digits
    return "".join(random.choice(alphabet) for _ in range(32))
''',
        r'''import secrets
import string


def $fn():
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))
''',
    ),
    Task(
        "predictable-random-token", "otp",
        "generates a six-digit one-time login code",
        "", ("generate_otp_code", "make_login_code", "new_otp"),
        r'''import random


def $fn():
    return str(random.randint(100000, 999999))
''',
        r'''import secrets


def $fn():
    return str(secrets.randbelow(900000) + 100000)
''',
    ),
    Task(
        "predictable-random-token", "session-id",
        "creates a new random session id as a hex string",
        "", ("new_session_id", "make_session_token", "session_key"),
        r'''import random


def $fn():
    return "%032x" % random.getrandbits(128)
''',
        r'''import secrets


def $fn():
    return secrets.token_hex(16)
''',
    ),
]

DEBUG = [
    Task(
        "debug-mode-server", "flask-run",
        "starts our small Flask app with a /health endpoint on a given port",
        "port=5000", ("run_server", "start_app", "serve"),
        r'''from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/health")
def health():
    return jsonify(status="ok")


def $fn(port=5000):
    app.run(host="0.0.0.0", port=port, debug=True)
''',
        r'''from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/health")
def health():
    return jsonify(status="ok")


def $fn(port=5000):
    app.run(host="127.0.0.1", port=port)
''',
    ),
]

TEMPFILES = [
    Task(
        "insecure-temp-file", "temp-csv",
        "writes rows of data to a temporary CSV file and returns its path",
        "rows", ("write_temp_csv", "dump_rows", "export_to_tempfile"),
        r'''import csv
import tempfile


def $fn(rows):
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path
''',
        r'''import csv
import tempfile


def $fn(rows):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", delete=False) as fh:
        csv.writer(fh).writerows(rows)
        return fh.name
''',
    ),
]

TASKS: tuple[Task, ...] = (
    *SQL, *SHELL, *TLS, *PERMISSIONS, *EVAL, *DESERIALIZATION, *YAML, *CREDENTIALS, *TRAVERSAL, *HASHING,
    *RANDOMNESS, *DEBUG, *TEMPFILES,
)
