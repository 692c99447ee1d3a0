/* k8slint's optional native module, four hot paths of a run, each with a Python twin that stays
 * the reference (tests/test_native_loader.py compares them):
 *   Stream       composes YAML documents straight from libyaml's events into the same values the
 *                Python composer (loader._compose) builds;
 *   shared_copy  makes the inventory copies of engine._shared_copy;
 *   path_spans   finds the positions of a few paths of a document, for engine/locate.py;
 *   schema_walk  walks a document against a compiled API schema (k8slint.model.apischema.check).
 *
 * The composer:
 * Why: the Python composer spends more time per event than ruamel.yaml's C parser spends making
 * the event, so a lint can never get near the parser's own speed in Python. This module does the
 * same work in C and calls back into Python (loader's helpers) for everything that is rare or
 * subtle: number resolution, tagged scalars, merge keys and problem messages. Positions are stored
 * as tuples (line, column, end_line, end_column), 1-based; a scalar whose value is not a string
 * also keeps (text as written, style), which the yaml-boolean-trap rule reads.
 *
 * Items yielded by Stream (loader._compose_native turns them into Document / LoadError):
 *   (0, root, index, line, offset, duplicates)  a document whose root is a mapping (offset: of
 *                                               the start of its first line, in characters);
 *                                               duplicates: None, or a list of what the
 *                                               duplicate_message helper made of each mapping key
 *                                               written twice (the last value is kept, as kubectl's
 *                                               sigs.k8s.io/yaml does)
 *   (1, message, line, column)                  a document that cannot be used; composing goes on
 *   (2, message, line, column)                  a problem that ends the stream
 *   (3, error, problem, pline, pcol, context, cline, ccol, offset, value)   a libyaml error
 * Lines and columns in items 1 and 2 are 1-based; libyaml errors carry libyaml's 0-based marks.
 * Tested against the Python composer (tests/test_native_loader.py) on the corpus, the fixtures
 * and generated YAML.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <yaml.h>
#include <math.h>
#include <string.h>

#define API_VERSION 8
#define MAX_FRAMES 1024

typedef struct {
    PyObject *cur;      /* YMap or YSeq */
    PyObject *marks;    /* its marks: dict or list */
    int is_map;
    PyObject *key;      /* pending mapping key or NULL */
    PyObject *key_mark; /* its mark or NULL */
    PyObject *anchor;   /* anchor of this collection or NULL */
    int plain_merge;    /* a plain << key was seen (a quoted "<<" is an ordinary key) */
    Py_ssize_t size_before;
    size_t line, column; /* 0-based start of the collection */
    size_t offset;       /* character offset of the start of its line */
} Frame;

typedef struct {
    PyObject_HEAD
    yaml_parser_t parser;
    int parser_ready;
    int finished;
    PyObject *text;        /* keeps the UTF-8 buffer alive */
    PyObject *ymap, *yseq, *special, *resolve_plain, *resolve_tagged, *key_string;
    PyObject *duplicate_message, *merge, *scalar_document_message;
    /* where YMap's and YSeq's ``marks`` slot is (-1: unknown, set it as an attribute) */
    Py_ssize_t ymap_marks_offset, yseq_marks_offset;
    /* special_first[c]: some key of the special dict starts with byte c (the empty key: [0]);
     * special_longest: the length of its longest key. A plain scalar that cannot be one of them
     * is never looked up (most are not: the lookup would hash every value). */
    char special_first[256];
    Py_ssize_t special_longest;
    long max_depth, max_expansion, max_ratio;
    /* the open collections, grown as a document nests (up to MAX_FRAMES): a Stream is made per
     * file, and a fixed array of MAX_FRAMES frames was a 90 KB block cleared for each one */
    Frame *frames;
    int frames_size;
    int depth;
    long index;
    Py_ssize_t nodes, expanded;
    PyObject *anchors;     /* name -> (value, size) */
    PyObject *problem;     /* (message, line, column) 1-based, or NULL */
    PyObject *duplicates;  /* list of duplicate-key records of the current document, or NULL */
    int root_seen;         /* a bare scalar document is open */
} Stream;

static PyObject *str_marks, *str_merge_key, *str_k8slint_prefix, *str_any_item, *style_strings[6];
static PyObject *str_map_node, *str_list_node;  /* path_spans: a mapping, a list */

static void frame_clear(Frame *f) {
    Py_CLEAR(f->cur);
    Py_CLEAR(f->marks);
    Py_CLEAR(f->key);
    Py_CLEAR(f->key_mark);
    Py_CLEAR(f->anchor);
}

static void stream_reset_document(Stream *s) {
    while (s->depth > 0) {
        frame_clear(&s->frames[--s->depth]);
    }
    Py_CLEAR(s->problem);
    Py_CLEAR(s->duplicates);
    s->root_seen = 0;
}

/* Room for one more open collection (frames[depth]); -1 with MemoryError set. */
static int stream_reserve_frame(Stream *s) {
    if (s->depth < s->frames_size) return 0;
    int size = s->frames_size ? 2 * s->frames_size : 16;
    if (size > MAX_FRAMES) size = MAX_FRAMES;
    if (size <= s->depth) return 0;  /* at MAX_FRAMES: the caller's depth check reports it */
    Frame *grown = PyMem_Realloc(s->frames, (size_t)size * sizeof(Frame));
    if (!grown) {
        PyErr_NoMemory();
        return -1;
    }
    memset(grown + s->frames_size, 0, (size_t)(size - s->frames_size) * sizeof(Frame));
    s->frames = grown;
    s->frames_size = size;
    return 0;
}

static void Stream_dealloc(Stream *s) {
    stream_reset_document(s);
    PyMem_Free(s->frames);
    if (s->parser_ready) yaml_parser_delete(&s->parser);
    Py_XDECREF(s->text);
    Py_XDECREF(s->ymap); Py_XDECREF(s->yseq); Py_XDECREF(s->special);
    Py_XDECREF(s->resolve_plain); Py_XDECREF(s->resolve_tagged); Py_XDECREF(s->key_string);
    Py_XDECREF(s->duplicate_message); Py_XDECREF(s->merge); Py_XDECREF(s->scalar_document_message);
    Py_XDECREF(s->anchors);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* The int of the last line number used: a key and its value, and the items of a flow list, are
 * mostly on one line, so consecutive spans share one int object instead of allocating each. */
static size_t last_line_number = 0;
static PyObject *last_line_object = NULL;

static PyObject *line_int(size_t number) {
    if (last_line_object == NULL || number != last_line_number) {
        PyObject *made = PyLong_FromSize_t(number);
        if (!made) return NULL;
        Py_XSETREF(last_line_object, made);
        last_line_number = number;
    }
    Py_INCREF(last_line_object);
    return last_line_object;
}

/* (line, column, end_line, end_column), 1-based; start and end lines share one int if equal */
static PyObject *span_tuple(yaml_mark_t start, yaml_mark_t end) {
    PyObject *t = PyTuple_New(4);
    if (!t) return NULL;
    PyObject *line = line_int(start.line + 1);
    PyObject *end_line;
    if (!line) { Py_DECREF(t); return NULL; }
    if (end.line == start.line) { end_line = line; Py_INCREF(line); }
    else end_line = PyLong_FromSize_t(end.line + 1);
    PyObject *col = PyLong_FromSize_t(start.column + 1);
    PyObject *end_col = PyLong_FromSize_t(end.column + 1);
    if (!end_line || !col || !end_col) {
        Py_XDECREF(end_line); Py_XDECREF(col); Py_XDECREF(end_col); Py_DECREF(line); Py_DECREF(t);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, line);
    PyTuple_SET_ITEM(t, 1, col);
    PyTuple_SET_ITEM(t, 2, end_line);
    PyTuple_SET_ITEM(t, 3, end_col);
    return t;
}

/* a span extended with the scalar's text as written and its style */
static PyObject *scalar_mark(yaml_mark_t start, yaml_mark_t end, PyObject *text, PyObject *style) {
    PyObject *span = span_tuple(start, end);
    if (!span) return NULL;
    PyObject *t = PyTuple_New(6);
    if (!t) { Py_DECREF(span); return NULL; }
    for (int i = 0; i < 4; i++) {
        PyObject *item = PyTuple_GET_ITEM(span, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(t, i, item);
    }
    Py_DECREF(span);
    Py_INCREF(text); PyTuple_SET_ITEM(t, 4, text);
    Py_INCREF(style); PyTuple_SET_ITEM(t, 5, style);
    return t;
}

static PyObject *style_string(yaml_scalar_style_t style) {
    switch (style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return style_strings[1];
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return style_strings[2];
        case YAML_LITERAL_SCALAR_STYLE: return style_strings[3];
        case YAML_FOLDED_SCALAR_STYLE: return style_strings[4];
        default: return style_strings[0];
    }
}

static int is_number_start(char c) {
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* whether a plain scalar's text may be a key of the special dict (null, booleans, .inf...) */
static int may_be_special(Stream *s, const char *raw, size_t length) {
    return (Py_ssize_t)length <= s->special_longest && s->special_first[length ? (unsigned char)raw[0] : 0];
}

/* resolve_plain() for a plain, untagged scalar: special words, short decimal integers ("3",
 * "8080", "-1") and texts that start like a number but cannot be one ("100m", "2Gi") in C, every
 * other number-like text (octal, hex, floats, "1_000") in Python */
static PyObject *resolve_plain(Stream *s, PyObject *text, const char *raw, size_t length) {
    if (is_number_start(raw[0])) {
        size_t i = (raw[0] == '-' || raw[0] == '+') ? 1 : 0;
        int simple = length > i && length - i <= 18 && !(raw[i] == '0' && length - i > 1);
        for (size_t j = i; simple && j < length; j++) simple = raw[j] >= '0' && raw[j] <= '9';
        if (simple) return PyLong_FromString(raw, NULL, 10);
        /* a last character no number ends with (yaml_values._NOT_A_NUMBER_END): a string such as
         * 100m or 128Mi, unless it is a special word (.nan) */
        char last = raw[length - 1];
        if (!((last >= 'g' && last <= 'z') || (last >= 'G' && last <= 'Z')))
            return PyObject_CallOneArg(s->resolve_plain, text);
    }
    if (may_be_special(s, raw, length)) {
        PyObject *special = PyDict_GetItemWithError(s->special, text);
        if (special) { Py_INCREF(special); return special; }
        if (PyErr_Occurred()) return NULL;
    }
    Py_INCREF(text);
    return text;
}

static PyObject *problem_tuple(PyObject *message, size_t line0, size_t column0) {
    return Py_BuildValue("(Onn)", message, (Py_ssize_t)(line0 + 1), (Py_ssize_t)(column0 + 1));
}

static PyObject *item_with_message(int kind, const char *message, yaml_mark_t mark) {
    return Py_BuildValue("(isnn)", kind, message, (Py_ssize_t)(mark.line + 1), (Py_ssize_t)(mark.column + 1));
}

static void set_problem(Stream *s, PyObject *problem) {
    /* the first problem of a document wins */
    if (s->problem == NULL) s->problem = problem;
    else Py_XDECREF(problem);
}

static PyObject *libyaml_error(Stream *s) {
    yaml_parser_t *p = &s->parser;
    return Py_BuildValue("(iizkkzkkki)", 3, (int)p->error, p->problem,
                         (unsigned long)p->problem_mark.line, (unsigned long)p->problem_mark.column,
                         p->context,
                         (unsigned long)p->context_mark.line, (unsigned long)p->context_mark.column,
                         (unsigned long)p->problem_offset, p->problem_value);
}

/* store value (and its mark) in the current collection; steals neither reference */
static int store(Stream *s, PyObject *value, PyObject *mark) {
    Frame *f = &s->frames[s->depth - 1];
    if (f->is_map) {
        PyObject *pair = PyTuple_Pack(2, f->key_mark, mark);
        if (!pair) return -1;
        int rc = PyDict_SetItem(f->cur, f->key, value);
        if (rc == 0) rc = PyDict_SetItem(f->marks, f->key, pair);
        Py_DECREF(pair);
        Py_CLEAR(f->key);
        Py_CLEAR(f->key_mark);
        return rc;
    }
    if (PyList_Append(f->cur, value) < 0) return -1;
    return PyList_Append(f->marks, mark);
}



static PyObject *end_of_document_item(Stream *s, PyObject *done, int is_map, Frame *closed) {
    PyObject *item;
    if (s->problem) {
        item = Py_BuildValue("(iOOO)", 1, PyTuple_GET_ITEM(s->problem, 0),
                             PyTuple_GET_ITEM(s->problem, 1), PyTuple_GET_ITEM(s->problem, 2));
    } else if (is_map) {
        item = Py_BuildValue("(iOlnnO)", 0, done, s->index, (Py_ssize_t)(closed->line + 1),
                             (Py_ssize_t)closed->offset, s->duplicates ? s->duplicates : Py_None);
    } else {
        item = Py_BuildValue("(isnn)", 1, "document is a list, not a Kubernetes object",
                             (Py_ssize_t)(closed->line + 1), (Py_ssize_t)(closed->column + 1));
    }
    s->index += 1;
    Py_CLEAR(s->problem);
    Py_CLEAR(s->duplicates);
    s->root_seen = 0;
    PyDict_Clear(s->anchors);
    s->nodes = s->expanded = 0;
    return item;
}

/* An empty YMap (is_map) or YSeq. Neither class defines __init__: its type's tp_new alone makes
 * what calling the class makes, without the call. */
static PyObject *empty_args = NULL;

static PyObject *new_collection(Stream *s, int is_map) {
    PyObject *cls = is_map ? s->ymap : s->yseq;
    if ((is_map ? s->ymap_marks_offset : s->yseq_marks_offset) < 0) return PyObject_CallNoArgs(cls);
    return ((PyTypeObject *)cls)->tp_new((PyTypeObject *)cls, empty_args, NULL);
}

/* value.marks = marks (a new collection's slot is empty) */
static int set_marks(Stream *s, int is_map, PyObject *value, PyObject *marks) {
    Py_ssize_t offset = is_map ? s->ymap_marks_offset : s->yseq_marks_offset;
    if (offset < 0) return PyObject_SetAttr(value, str_marks, marks);
    PyObject **slot = (PyObject **)((char *)value + offset);
    Py_INCREF(marks);
    Py_XSETREF(*slot, marks);
    return 0;
}

/* The offset of the ``marks`` slot (__slots__) of a dict or list subclass without __init__ of
 * its own, or -1 (then collections are made by calling the class and marks set as an attribute). */
static Py_ssize_t marks_offset(PyObject *cls, PyTypeObject *base) {
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, base)
            || ((PyTypeObject *)cls)->tp_init != base->tp_init || ((PyTypeObject *)cls)->tp_new != base->tp_new)
        return -1;
    PyObject *descr = PyObject_GetAttr(cls, str_marks);
    if (!descr) { PyErr_Clear(); return -1; }
    Py_ssize_t offset = -1;
    if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX && !(member->flags & READONLY)) offset = member->offset;
    }
    Py_DECREF(descr);
    return offset;
}

static PyObject *Stream_next(Stream *s) {
    yaml_event_t event;
    if (s->finished) return NULL;
    for (;;) {
        if (!yaml_parser_parse(&s->parser, &event)) {
            s->finished = 1;
            stream_reset_document(s);
            return libyaml_error(s);
        }
        PyObject *result = NULL;  /* an item to yield */
        int fail = 0;
        switch (event.type) {
        case YAML_SCALAR_EVENT: {
            Frame *f = s->depth ? &s->frames[s->depth - 1] : NULL;
            const char *raw = (const char *)event.data.scalar.value;
            PyObject *text = PyUnicode_DecodeUTF8(raw, event.data.scalar.length, "strict");
            if (!text) { fail = 1; break; }
            int plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            const char *tag = (const char *)event.data.scalar.tag;
            if (f && f->is_map && f->key == NULL) {  /* a mapping key */
                PyObject *key = text;
                Py_INCREF(key);
                int resolved_key = 0;  /* key_string(resolve_plain(text)): the key may differ from text */
                if (plain) {
                    PyObject *resolved = NULL;
                    int special = may_be_special(s, raw, event.data.scalar.length)
                        ? PyDict_Contains(s->special, text) : 0;
                    if (special < 0) { Py_DECREF(key); Py_DECREF(text); fail = 1; break; }
                    if (special || is_number_start(raw[0])) {
                        resolved_key = 1;
                        resolved = PyObject_CallOneArg(s->resolve_plain, text);
                        if (resolved) {
                            Py_DECREF(key);
                            key = PyObject_CallOneArg(s->key_string, resolved);
                            Py_DECREF(resolved);
                        } else { Py_CLEAR(key); }
                        if (!key) { Py_DECREF(text); fail = 1; break; }
                    }
                }
                int present = PyDict_Contains(f->cur, key);
                if (present < 0) { Py_DECREF(key); Py_DECREF(text); fail = 1; break; }
                if (present) {  /* kept, the last value wins: recorded for the duplicate-key rule */
                    PyObject *record = PyObject_CallFunction(s->duplicate_message, "OOnn", key, f->marks,
                                                             (Py_ssize_t)(event.start_mark.line + 1),
                                                             (Py_ssize_t)(event.start_mark.column + 1));
                    if (record && !s->duplicates) s->duplicates = PyList_New(0);
                    if (!record || !s->duplicates || PyList_Append(s->duplicates, record) < 0) {
                        Py_XDECREF(record); Py_DECREF(key); Py_DECREF(text); fail = 1; break;
                    }
                    Py_DECREF(record);
                }
                PyUnicode_InternInPlace(&key);
                if (plain && tag == NULL && PyUnicode_CompareWithASCIIString(key, "<<") == 0) f->plain_merge = 1;
                if (event.data.scalar.anchor) {  /* "&k app: x" then "*k": go-yaml accepts it */
                    PyObject *entry = Py_BuildValue("(Oi)", key, 1);
                    if (!entry || PyDict_SetItemString(s->anchors, (const char *)event.data.scalar.anchor, entry) < 0) {
                        Py_XDECREF(entry); Py_DECREF(key); Py_DECREF(text); fail = 1; break;
                    }
                    Py_DECREF(entry);
                }
                int changed = resolved_key && tag == NULL && PyUnicode_Compare(key, text) != 0;
                f->key_mark = changed ? scalar_mark(event.start_mark, event.end_mark, text, style_strings[0])
                                      : span_tuple(event.start_mark, event.end_mark);
                Py_DECREF(text);
                f->key = key;
                if (!f->key_mark) { fail = 1; break; }
                break;
            }
            s->nodes += 1;
            PyObject *value;
            if (plain && tag == NULL) {
                value = resolve_plain(s, text, raw, event.data.scalar.length);
            } else if (tag != NULL && (plain || (strcmp(tag, "!") != 0 && strcmp(tag, "tag:yaml.org,2002:str") != 0))) {
                PyObject *tag_text = PyUnicode_FromString(tag);
                value = tag_text ? PyObject_CallFunctionObjArgs(s->resolve_tagged, text, tag_text, NULL) : NULL;
                Py_XDECREF(tag_text);
            } else {
                value = text;
                Py_INCREF(value);
            }
            if (!value) { Py_DECREF(text); fail = 1; break; }
            PyObject *mark = (value != Py_None && !PyUnicode_Check(value))
                ? scalar_mark(event.start_mark, event.end_mark, text, style_string(event.data.scalar.style))
                : span_tuple(event.start_mark, event.end_mark);
            Py_DECREF(text);
            if (!mark) { Py_DECREF(value); fail = 1; break; }
            if (event.data.scalar.anchor) {
                PyObject *entry = Py_BuildValue("(Oi)", value, 1);
                if (!entry || PyDict_SetItemString(s->anchors, (const char *)event.data.scalar.anchor, entry) < 0) {
                    Py_XDECREF(entry); Py_DECREF(value); Py_DECREF(mark); fail = 1; break;
                }
                Py_DECREF(entry);
            }
            if (f) {
                if (store(s, value, mark) < 0) fail = 1;
            } else {  /* a document that is a bare scalar */
                if (value != Py_None && s->problem == NULL) {
                    PyObject *message = PyObject_CallOneArg(s->scalar_document_message, value);
                    if (!message) fail = 1;
                    else {
                        set_problem(s, problem_tuple(message, event.start_mark.line, event.start_mark.column));
                        Py_DECREF(message);
                    }
                }
                s->root_seen = 1;
            }
            Py_DECREF(value);
            Py_DECREF(mark);
            break;
        }
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            int is_map = event.type == YAML_MAPPING_START_EVENT;
            if (stream_reserve_frame(s) < 0) { fail = 1; break; }  /* (moves the frames: before any pointer) */
            Frame *parent = s->depth ? &s->frames[s->depth - 1] : NULL;
            s->nodes += 1;
            if (s->depth >= s->max_depth || s->depth >= MAX_FRAMES) {
                char message[96];
                snprintf(message, sizeof message, "nesting deeper than %ld levels", s->max_depth);
                result = item_with_message(2, message, event.start_mark);
                s->finished = 1;
                break;
            }
            if (parent && parent->is_map && parent->key == NULL) {
                result = item_with_message(2, "a mapping or list cannot be a mapping key (Kubernetes reads "
                                              "YAML as JSON, whose keys are strings)", event.start_mark);
                s->finished = 1;
                break;
            }
            PyObject *value = new_collection(s, is_map);
            PyObject *marks = is_map ? PyDict_New() : PyList_New(0);
            PyObject *mark = span_tuple(event.start_mark, event.end_mark);
            if (!value || !marks || !mark || set_marks(s, is_map, value, marks) < 0) {
                Py_XDECREF(value); Py_XDECREF(marks); Py_XDECREF(mark); fail = 1; break;
            }
            if (parent) {
                if (store(s, value, mark) < 0) { Py_DECREF(value); Py_DECREF(marks); Py_DECREF(mark); fail = 1; break; }
            } else {
                s->root_seen = 1;
            }
            Py_DECREF(mark);
            const char *anchor = (const char *)(is_map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor);
            Frame *f = &s->frames[s->depth++];
            f->cur = value;
            f->marks = marks;
            f->is_map = is_map;
            f->key = f->key_mark = NULL;
            f->plain_merge = 0;
            f->anchor = anchor ? PyUnicode_FromString(anchor) : NULL;
            f->size_before = s->nodes + s->expanded;
            f->line = event.start_mark.line;
            f->column = event.start_mark.column;
            f->offset = event.start_mark.index - event.start_mark.column;
            if (anchor && !f->anchor) fail = 1;
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: {
            Frame closed = s->frames[--s->depth];  /* takes over the frame's references */
            memset(&s->frames[s->depth], 0, sizeof(Frame));
            if (closed.anchor) {
                PyObject *entry = Py_BuildValue("(On)", closed.cur, s->nodes + s->expanded - closed.size_before);
                if (!entry || PyDict_SetItem(s->anchors, closed.anchor, entry) < 0) fail = 1;
                Py_XDECREF(entry);
            }
            if (!fail && closed.is_map) {
                int has_merge = closed.plain_merge ? PyDict_Contains(closed.cur, str_merge_key) : 0;
                if (has_merge < 0) fail = 1;
                else if (has_merge) {
                    PyObject *sink = PyList_New(0);
                    PyObject *r = sink ? PyObject_CallFunctionObjArgs(s->merge, closed.cur, sink, NULL) : NULL;
                    if (!r) fail = 1;
                    else if (PyList_GET_SIZE(sink) && s->problem == NULL) {
                        set_problem(s, problem_tuple(PyList_GET_ITEM(sink, 0), closed.line, closed.column));
                    }
                    Py_XDECREF(r);
                    Py_XDECREF(sink);
                }
            }
            if (!fail && s->depth == 0) {
                result = end_of_document_item(s, closed.cur, closed.is_map, &closed);
                if (!result) fail = 1;
            }
            frame_clear(&closed);
            break;
        }
        case YAML_ALIAS_EVENT: {
            Frame *f = s->depth ? &s->frames[s->depth - 1] : NULL;
            const char *name = (const char *)event.data.alias.anchor;
            PyObject *target = PyDict_GetItemString(s->anchors, name);
            if (!target) {
                char message[160];
                snprintf(message, sizeof message, "unknown alias *%.120s", name);
                result = item_with_message(2, message, event.start_mark);
                s->finished = 1;
                break;
            }
            PyObject *value = PyTuple_GET_ITEM(target, 0);
            s->expanded += PyLong_AsSsize_t(PyTuple_GET_ITEM(target, 1));
            if (s->expanded > s->max_expansion && s->expanded > s->max_ratio * s->nodes) {
                char message[128];
                snprintf(message, sizeof message, "aliases expand to more than %ld nodes (a 'billion laughs' document?)",
                         s->max_expansion);
                result = item_with_message(2, message, event.start_mark);
                s->finished = 1;
                break;
            }
            if (f && f->is_map && f->key == NULL) {
                if (PyDict_Check(value) || PyList_Check(value)) {
                    result = item_with_message(2, "an alias to a collection cannot be a mapping key", event.start_mark);
                    s->finished = 1;
                    break;
                }
                f->key = PyObject_CallOneArg(s->key_string, value);
                f->key_mark = span_tuple(event.start_mark, event.end_mark);
                if (!f->key || !f->key_mark) fail = 1;
                break;
            }
            if (f) {
                PyObject *mark = span_tuple(event.start_mark, event.end_mark);
                if (!mark || store(s, value, mark) < 0) fail = 1;
                Py_XDECREF(mark);
            }
            break;
        }
        case YAML_STREAM_END_EVENT:
            s->finished = 1;
            break;
        default:  /* stream start, document start and end: only a bare scalar document ends here */
            if (s->root_seen && s->depth == 0) {
                if (s->problem) {
                    result = Py_BuildValue("(iOOO)", 1, PyTuple_GET_ITEM(s->problem, 0),
                                           PyTuple_GET_ITEM(s->problem, 1), PyTuple_GET_ITEM(s->problem, 2));
                    if (!result) fail = 1;
                    s->index += 1;
                }
                Py_CLEAR(s->problem);
                Py_CLEAR(s->duplicates);
                s->root_seen = 0;
            }
        }
        yaml_event_delete(&event);
        if (fail) {
            s->finished = 1;
            stream_reset_document(s);
            return NULL;
        }
        if (result) {
            if (s->finished) stream_reset_document(s);
            return result;
        }
        if (s->finished) {
            stream_reset_document(s);
            return NULL;
        }
    }
}

static int Stream_init(Stream *s, PyObject *args, PyObject *kwds) {
    PyObject *text, *helpers;
    long first_index;
    if (!PyArg_ParseTuple(args, "UlO!lll", &text, &first_index, &PyTuple_Type, &helpers,
                          &s->max_depth, &s->max_expansion, &s->max_ratio))
        return -1;
    if (PyTuple_GET_SIZE(helpers) != 9) {
        PyErr_SetString(PyExc_ValueError, "helpers: 9 items expected");
        return -1;
    }
    PyObject **slots[9] = {&s->ymap, &s->yseq, &s->special, &s->resolve_plain, &s->resolve_tagged,
                           &s->key_string, &s->duplicate_message, &s->merge, &s->scalar_document_message};
    for (int i = 0; i < 9; i++) {
        PyObject *item = PyTuple_GET_ITEM(helpers, i);
        Py_INCREF(item);
        Py_XSETREF(*slots[i], item);
    }
    if (!PyDict_Check(s->special)) {
        PyErr_SetString(PyExc_TypeError, "helpers[2] must be a dict");
        return -1;
    }
    memset(s->special_first, 0, sizeof s->special_first);
    s->special_longest = -1;
    Py_ssize_t pos = 0;
    PyObject *word, *meaning;
    while (PyDict_Next(s->special, &pos, &word, &meaning)) {
        Py_ssize_t length;
        const char *utf8 = PyUnicode_Check(word) ? PyUnicode_AsUTF8AndSize(word, &length) : NULL;
        if (!utf8) return -1;
        s->special_first[length ? (unsigned char)utf8[0] : 0] = 1;
        if (length > s->special_longest) s->special_longest = length;
    }
    s->ymap_marks_offset = marks_offset(s->ymap, &PyDict_Type);
    s->yseq_marks_offset = marks_offset(s->yseq, &PyList_Type);
    Py_ssize_t size;
    const char *data = PyUnicode_AsUTF8AndSize(text, &size);
    if (!data) return -1;
    Py_INCREF(text);
    Py_XSETREF(s->text, text);
    if (s->parser_ready) yaml_parser_delete(&s->parser);
    if (!yaml_parser_initialize(&s->parser)) {
        PyErr_NoMemory();
        return -1;
    }
    s->parser_ready = 1;
    yaml_parser_set_input_string(&s->parser, (const unsigned char *)data, (size_t)size);
    s->index = first_index;
    s->anchors = PyDict_New();
    if (!s->anchors) return -1;
    return 0;
}

static PyObject *Stream_iter(PyObject *s) {
    Py_INCREF(s);
    return s;
}

static PyTypeObject StreamType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_k8slint_yaml.Stream",
    .tp_basicsize = sizeof(Stream),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Stream(text, first_index, helpers, max_depth, max_expansion, max_ratio): "
              "iterate over the composed documents of text.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Stream_init,
    .tp_dealloc = (destructor)Stream_dealloc,
    .tp_iter = Stream_iter,
    .tp_iternext = (iternextfunc)Stream_next,
};


/* --- inventory copies (engine._shared_copy in C) ------------------------------------------------
 * shared_copy(value, drop, strings, containers, key_classes, make_key_class, annotations_only)
 * makes the same copy as engine._shared_copy: plain dicts and lists without the dropped fields,
 * equal strings and equal containers shared, mappings with key-sharing dicts where
 * key_classes/make_key_class give a class for their key tuple. */

typedef struct {
    PyObject *strings, *containers, *key_classes, *make_key_class, *annotations_only;
} CopyContext;

static PyObject *shared_string(CopyContext *c, PyObject *text) {
    PyObject *known = PyDict_SetDefault(c->strings, text, text);
    Py_XINCREF(known);
    return known;
}

static int same_content(PyObject *known, PyObject *container) {
    if (Py_TYPE(known) != Py_TYPE(container)) return 0;
    if (PyDict_Check(known)) {
        if (PyDict_GET_SIZE(known) != PyDict_GET_SIZE(container)) return 0;
        Py_ssize_t p1 = 0, p2 = 0;
        PyObject *k1, *v1, *k2, *v2;
        while (PyDict_Next(known, &p1, &k1, &v1) && PyDict_Next(container, &p2, &k2, &v2)) {
            int equal = PyObject_RichCompareBool(k1, k2, Py_EQ);
            if (equal <= 0 || Py_TYPE(v1) != Py_TYPE(v2)) return equal < 0 ? -1 : 0;
            if (PyDict_Check(v1) || PyList_Check(v1)) {
                if (v1 != v2) return 0;
            } else if ((equal = PyObject_RichCompareBool(v1, v2, Py_EQ)) <= 0) {
                return equal;
            }
        }
        return 1;
    }
    if (PyList_GET_SIZE(known) != PyList_GET_SIZE(container)) return 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(known); i++) {
        PyObject *v1 = PyList_GET_ITEM(known, i), *v2 = PyList_GET_ITEM(container, i);
        if (Py_TYPE(v1) != Py_TYPE(v2)) return 0;
        if (PyDict_Check(v1) || PyList_Check(v1)) {
            if (v1 != v2) return 0;
        } else {
            int equal = PyObject_RichCompareBool(v1, v2, Py_EQ);
            if (equal <= 0) return equal;
        }
    }
    return 1;
}

/* A container's content signature, hashed as it is built (no list or tuple made): the kind, then
 * per item its key, and a child's identity or a scalar's type and value, mixed the way CPython
 * hashes a tuple (xxHash lanes). Equal content gives equal hashes; a match is still compared. */
typedef struct {
    Py_uhash_t acc;
    int unhashable;  /* a scalar without a hash: the container is not shared */
} Signature;

#if SIZEOF_PY_UHASH_T > 4
#define SIG_PRIME_1 ((Py_uhash_t)11400714785074694791ULL)
#define SIG_PRIME_2 ((Py_uhash_t)14029467366897019727ULL)
#define SIG_PRIME_5 ((Py_uhash_t)2870177450012600261ULL)
#define SIG_ROTATE(x) ((x << 31) | (x >> 33))
#else
#define SIG_PRIME_1 ((Py_uhash_t)2654435761UL)
#define SIG_PRIME_2 ((Py_uhash_t)2246822519UL)
#define SIG_PRIME_5 ((Py_uhash_t)374761393UL)
#define SIG_ROTATE(x) ((x << 13) | (x >> 19))
#endif

static void sig_mix(Signature *sig, Py_uhash_t lane) {
    sig->acc += lane * SIG_PRIME_2;
    sig->acc = SIG_ROTATE(sig->acc);
    sig->acc *= SIG_PRIME_1;
}

static void sig_init(Signature *sig, PyTypeObject *kind) {
    sig->acc = SIG_PRIME_5;
    sig->unhashable = 0;
    sig_mix(sig, (Py_uhash_t)(uintptr_t)kind);
}

static int sig_hashed(Signature *sig, PyObject *value) {
    Py_hash_t hash = PyObject_Hash(value);
    if (hash == -1) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
        PyErr_Clear();
        sig->unhashable = 1;
        return 0;
    }
    sig_mix(sig, (Py_uhash_t)hash);
    return 0;
}

/* the container already copied with this content, or container itself; steals container */
static PyObject *shared_container(CopyContext *c, PyObject *container, Signature *sig) {
    if (sig->unhashable) return container;
    PyObject *key = PyLong_FromSize_t((size_t)sig->acc);
    if (!key) { Py_DECREF(container); return NULL; }
    PyObject *known = PyDict_GetItemWithError(c->containers, key);
    if (!known) {
        int rc = PyErr_Occurred() ? -1 : PyDict_SetItem(c->containers, key, container);
        Py_DECREF(key);
        if (rc < 0) { Py_DECREF(container); return NULL; }
        return container;
    }
    Py_DECREF(key);
    int same = same_content(known, container);
    if (same < 0) { Py_DECREF(container); return NULL; }
    if (same) {
        Py_INCREF(known);
        Py_DECREF(container);
        return known;
    }
    return container;
}

/* An empty mapping for the copy of a mapping with these keys (a tuple, in order): a key-sharing
 * dict where key_classes/make_key_class give a class for them, else a plain dict. The copy's items
 * are then set into it in the same order, so its keys stay shared. */
static PyObject *new_mapping(CopyContext *c, PyObject *keys) {
    if (PyTuple_GET_SIZE(keys) == 0) return PyDict_New();
    PyObject *cls = PyDict_GetItemWithError(c->key_classes, keys);
    if (cls) Py_INCREF(cls);
    else if (!PyErr_Occurred()) cls = PyObject_CallOneArg(c->make_key_class, keys);
    if (!cls) return NULL;
    if (cls == Py_None) { Py_DECREF(cls); return PyDict_New(); }
    PyObject *instance = PyObject_CallNoArgs(cls);
    Py_DECREF(cls);
    PyObject *shared = instance ? PyObject_GenericGetDict(instance, NULL) : NULL;
    Py_XDECREF(instance);
    return shared;
}

static PyObject *copy_value(CopyContext *c, PyObject *value, PyObject *drop, int depth);

static PyObject *k8slint_annotations(PyObject *mapping) {
    PyObject *out = PyDict_New();
    if (!out) return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(mapping, &pos, &k, &v)) {
        if (PyUnicode_Check(k) && PyUnicode_Tailmatch(k, str_k8slint_prefix, 0, PY_SSIZE_T_MAX, -1) == 1
                && PyDict_SetItem(out, k, v) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyObject *copy_child(CopyContext *c, PyObject *item, PyObject *sub, Signature *sig, int depth) {
    PyObject *copy;
    if (PyDict_Check(item) || PyList_Check(item)) {
        if (sub == c->annotations_only) {
            sub = NULL;
            if (PyDict_Check(item)) {
                PyObject *filtered = k8slint_annotations(item);
                if (!filtered) return NULL;
                copy = copy_value(c, filtered, NULL, depth + 1);
                Py_DECREF(filtered);
            } else {
                copy = copy_value(c, item, NULL, depth + 1);
            }
        } else {
            copy = copy_value(c, item, sub, depth + 1);
        }
        if (copy) sig_mix(sig, (Py_uhash_t)(uintptr_t)copy);  /* a child counts by its identity */
        return copy;
    }
    copy = PyUnicode_CheckExact(item) ? shared_string(c, item) : (Py_INCREF(item), item);
    if (copy) {
        sig_mix(sig, (Py_uhash_t)(uintptr_t)Py_TYPE(copy));  /* 1, 1.0 and True differ */
        if (sig_hashed(sig, copy) < 0) Py_CLEAR(copy);
    }
    return copy;
}

/* the end of a container copy: the shared container (NULL when copying failed); steals out */
static PyObject *finish_copy(CopyContext *c, PyObject *out, Signature *sig, int ok) {
    if (ok && out) return shared_container(c, out, sig);
    Py_CLEAR(out);
    return NULL;
}

static PyObject *copy_value(CopyContext *c, PyObject *value, PyObject *drop, int depth) {
    if (depth > 1000) {  /* composed values are at most MAX_DEPTH deep */
        PyErr_SetString(PyExc_RecursionError, "value nested too deeply to copy");
        return NULL;
    }
    if (drop == Py_None) drop = NULL;
    Signature sig;
    if (PyDict_Check(value)) {
        /* First the keys that stay (the drop spec's entry for each kept), then the mapping made for
         * them, filled in the same order: no plain dict first, copied into a key-sharing one. */
        Py_ssize_t size = PyDict_GET_SIZE(value), kept = 0, index = 0, pos = 0;
        PyObject *subs_here[32];
        PyObject **subs = size <= 32 ? subs_here : PyMem_Malloc(size * sizeof(PyObject *));
        PyObject *keys = subs ? PyTuple_New(size) : NULL;
        PyObject *out = NULL, *key, *item;
        if (!keys) { if (subs && subs != subs_here) PyMem_Free(subs); if (!subs) PyErr_NoMemory(); return NULL; }
        sig_init(&sig, &PyDict_Type);
        int drops = drop && PyDict_Check(drop);
        while (PyDict_Next(value, &pos, &key, &item)) {
            PyObject *sub = NULL;  /* borrowed from drop, which outlives the call */
            if (drops) {
                sub = PyDict_GetItemWithError(drop, key);
                if (!sub && PyErr_Occurred()) goto fail_dict;
            }
            subs[index++] = sub;
            if (sub == Py_True) continue;
            PyObject *shared_key = shared_string(c, key);
            if (!shared_key) goto fail_dict;
            PyTuple_SET_ITEM(keys, kept++, shared_key);
        }
        if (kept < size && _PyTuple_Resize(&keys, kept) < 0) goto fail_dict;
        out = new_mapping(c, keys);
        if (!out) goto fail_dict;
        pos = index = kept = 0;
        while (PyDict_Next(value, &pos, &key, &item)) {
            PyObject *sub = subs[index++];
            if (sub == Py_True) continue;
            if (sig_hashed(&sig, key) < 0) goto fail_dict;
            PyObject *copy = copy_child(c, item, sub, &sig, depth);
            if (!copy) goto fail_dict;
            int rc = PyDict_SetItem(out, PyTuple_GET_ITEM(keys, kept++), copy);
            Py_DECREF(copy);
            if (rc < 0) goto fail_dict;
        }
        Py_DECREF(keys);
        if (subs != subs_here) PyMem_Free(subs);
        return finish_copy(c, out, &sig, 1);
    fail_dict:
        Py_XDECREF(keys);  /* NULL when _PyTuple_Resize failed */
        if (subs != subs_here) PyMem_Free(subs);
        return finish_copy(c, out, &sig, 0);
    }
    if (PyList_Check(value)) {
        PyObject *sub = NULL;
        if (drop && PyDict_Check(drop)) {
            sub = PyDict_GetItemWithError(drop, str_any_item);
            if (!sub && PyErr_Occurred()) return NULL;
        }
        PyObject *out = PyList_New(0);
        if (!out) return NULL;
        sig_init(&sig, &PyList_Type);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
            PyObject *copy = copy_child(c, PyList_GET_ITEM(value, i), sub, &sig, depth);
            if (!copy) goto fail_list;
            int rc = PyList_Append(out, copy);
            Py_DECREF(copy);
            if (rc < 0) goto fail_list;
        }
        return finish_copy(c, out, &sig, 1);
    fail_list:
        return finish_copy(c, out, &sig, 0);
    }
    Py_INCREF(value);
    return value;
}

static PyObject *shared_copy(PyObject *module, PyObject *args) {
    PyObject *value, *drop;
    CopyContext c;
    if (!PyArg_ParseTuple(args, "OOO!O!O!OO", &value, &drop, &PyDict_Type, &c.strings, &PyDict_Type, &c.containers,
                          &PyDict_Type, &c.key_classes, &c.make_key_class, &c.annotations_only))
        return NULL;
    return copy_value(&c, value, drop, 0);
}


/* --- positions of a few paths (engine/locate.py) ---------------------------------------------------
 * path_spans(text, begin, targets, resolve_key, special, field_key, field_value, max_depth, stop_early)
 * reads the first document of text[begin:] (a mapping; begin > 0 only in an ASCII text, where it is
 * also a byte offset: the file's whole text, without a copy of the document) and returns, for each target path, (span, node): span is what
 * findings.locate(root, target)[0] gives on the composed document, node what is at the whole path
 * (None where the path breaks off, 'm' a mapping, 'q' a list, (text, style) a scalar as written).
 * Nothing is built for the subtrees no target enters. It returns None (compose the document
 * instead) wherever composing could give another value or position, or none: anchors, aliases,
 * tags, plain << (merge) keys, a key written twice in a mapping a target goes through, mapping or
 * list keys, nesting deeper than max_depth, a root that is not a mapping, or a syntax error.
 * stop_early (the caller knows that no key of the document is written twice, from composing it):
 * reading stops once every target is placed (found whole, or broken off where its last mapping or
 * list ended), so a finding near the top of a long document costs only what precedes it. Nothing
 * read later could change a placed target: an anchor, alias or tag applies to its own node, merged
 * keys never override keys written in the mapping (yaml_values._merge), and the one thing that
 * could (a tracked key written again: composing keeps the last value) is ruled out by the caller.
 * Without it the whole document is read, and a key written twice on a target's way bails. */

typedef struct {
    PyObject *path;       /* the target (a tuple) */
    Py_ssize_t length;
    Py_ssize_t matched;   /* steps found so far: the node of path[:matched] is frame `matched` */
    int done;             /* the path broke off, or its last node ended */
    int key_found;        /* the mapping key of the next step was just read: its value comes next */
    int first_key;        /* the last step was a list item: a mapping item points at its first key */
    PyObject *key_span;   /* the span of that key */
    PyObject *span;       /* the span so far (None: none yet) */
    PyObject *node;       /* what is at the whole path */
} SpanTarget;

typedef struct {
    int is_map;
    int expect_key;       /* mappings: the next node is a key */
    int tracked;          /* a target goes through it: its keys are read (duplicates, first key) */
    Py_ssize_t index;     /* lists: index of the next item */
    PyObject *keys;       /* tracked mappings: the keys read so far (a set) */
} SpanFrame;

static PyObject *span_key(PyObject *resolve_key, PyObject *special, const yaml_event_t *event) {
    const char *raw = (const char *)event->data.scalar.value;
    PyObject *text = PyUnicode_DecodeUTF8(raw, event->data.scalar.length, "strict");
    if (!text || event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return text;
    /* plain keys that read as null, booleans or numbers: the composer's key_string(resolve_plain()) */
    int is_special = is_number_start(raw[0]) ? 1 : PyDict_Contains(special, text);
    if (is_special == 0) return text;
    PyObject *key = is_special > 0 ? PyObject_CallOneArg(resolve_key, text) : NULL;
    Py_DECREF(text);
    return key;
}

/* libyaml decodes all the input it has been handed (up to 16 KB) before it scans on: handed the rest
 * of a file, it would decode far past a document read only up to its findings. So it is handed 128
 * bytes at a time (by instruction counts on the benchmark's shapes: 512 costs ~8% more per call). */
#define SPAN_INPUT_CHUNK 128

typedef struct {
    const unsigned char *next, *end;
} SpanInput;

static int span_input_read(void *data, unsigned char *buffer, size_t size, size_t *size_read) {
    SpanInput *input = data;
    size_t left = (size_t)(input->end - input->next);
    if (size > SPAN_INPUT_CHUNK) size = SPAN_INPUT_CHUNK;
    if (size > left) size = left;
    memcpy(buffer, input->next, size);
    input->next += size;
    *size_read = size;  /* 0: the end of the input */
    return 1;
}

static PyObject *path_spans(PyObject *module, PyObject *args) {
    PyObject *text, *targets, *resolve_key, *special, *field_key, *field_value;
    Py_ssize_t begin;
    long max_depth;
    int stop_early = 0;
    if (!PyArg_ParseTuple(args, "UnO!OO!OOl|p", &text, &begin, &PyList_Type, &targets, &resolve_key, &PyDict_Type,
                          &special, &field_key, &field_value, &max_depth, &stop_early))
        return NULL;
    if (begin < 0 || begin > PyUnicode_GET_LENGTH(text) || (begin && !PyUnicode_IS_ASCII(text))) {
        PyErr_SetString(PyExc_ValueError, "begin: an offset in the text, and 0 unless the text is ASCII");
        return NULL;
    }
    Py_ssize_t size;
    const char *data = PyUnicode_AsUTF8AndSize(text, &size);
    if (!data) return NULL;
    data += begin;  /* ASCII: characters are bytes */
    size -= begin;
    Py_ssize_t count = PyList_GET_SIZE(targets);
    if (max_depth < 1 || max_depth > MAX_FRAMES) max_depth = MAX_FRAMES;
    SpanTarget *wanted = PyMem_Calloc(count ? count : 1, sizeof(SpanTarget));
    Py_ssize_t frames_size = 32;  /* grown up to max_depth as nesting needs */
    SpanFrame *frames = PyMem_Malloc(frames_size * sizeof(SpanFrame));
    if (!wanted || !frames) { PyMem_Free(wanted); PyMem_Free(frames); return PyErr_NoMemory(); }
    int fail = 0, bail = 0, done = 0, depth = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *path = PyList_GET_ITEM(targets, i);
        if (!PyTuple_Check(path)) { PyErr_SetString(PyExc_TypeError, "a target is a tuple"); fail = 1; break; }
        wanted[i].path = path;
        wanted[i].length = PyTuple_GET_SIZE(path);
        wanted[i].span = Py_None; Py_INCREF(Py_None);
        wanted[i].node = Py_None; Py_INCREF(Py_None);
    }
    PyObject *root_first_key = NULL;  /* span of the document's first key */
    yaml_parser_t parser;
    int parser_ready = !fail && yaml_parser_initialize(&parser);
    if (!fail && !parser_ready) { PyErr_NoMemory(); fail = 1; }
    SpanInput input = {(const unsigned char *)data, (const unsigned char *)data + size};
    if (parser_ready) yaml_parser_set_input(&parser, span_input_read, &input);
    while (!fail && !bail && !done) {
        yaml_event_t event;
        int progressed = 0;  /* a target matched a step, broke off or got its first key */
        if (!yaml_parser_parse(&parser, &event)) { bail = 1; break; }
        yaml_event_type_t type = event.type;
        SpanFrame *f = depth ? &frames[depth - 1] : NULL;
        if (type == YAML_ALIAS_EVENT
                || (type == YAML_SCALAR_EVENT && (event.data.scalar.anchor || event.data.scalar.tag))
                || (type == YAML_MAPPING_START_EVENT && (event.data.mapping_start.anchor || event.data.mapping_start.tag))
                || (type == YAML_SEQUENCE_START_EVENT && (event.data.sequence_start.anchor || event.data.sequence_start.tag))
                || type == YAML_STREAM_END_EVENT || (type == YAML_DOCUMENT_END_EVENT && !depth)) {
            bail = 1;  /* (a document end or stream end before the root mapping ended: no mapping) */
        } else if (type == YAML_SCALAR_EVENT && event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                   && event.data.scalar.length == 2 && memcmp(event.data.scalar.value, "<<", 2) == 0) {
            bail = 1;  /* a merge key (or a plain "<<" value: rare, composing decides) */
        } else if (f && f->is_map && f->expect_key && type != YAML_MAPPING_END_EVENT) {  /* a mapping key */
            if (type != YAML_SCALAR_EVENT) { bail = 1; yaml_event_delete(&event); break; }
            f->expect_key = 0;
            if (f->tracked) {
                PyObject *key = span_key(resolve_key, special, &event);
                int seen = key ? PySet_Contains(f->keys, key) : -1;
                if (seen) {  /* composing keeps the last value of a key written twice */
                    if (seen > 0) bail = 1; else fail = 1;
                    Py_XDECREF(key);
                } else {
                    int first = PySet_GET_SIZE(f->keys) == 0;
                    PyObject *span = NULL;
                    if (PySet_Add(f->keys, key) < 0) fail = 1;
                    for (Py_ssize_t i = 0; !fail && i < count; i++) {
                        SpanTarget *t = &wanted[i];
                        if (t->done || t->matched != depth - 1) continue;
                        int wants_first = first && t->first_key;
                        int matches = 0;
                        if (t->matched < t->length) {
                            PyObject *step = PyTuple_GET_ITEM(t->path, t->matched);
                            if (PyUnicode_Check(step)) {
                                matches = PyUnicode_Compare(key, step) == 0;
                                if (PyErr_Occurred()) { fail = 1; break; }
                            }
                        }
                        if (!wants_first && !matches) continue;
                        if (!span && !(span = span_tuple(event.start_mark, event.end_mark))) { fail = 1; break; }
                        if (wants_first) {
                            Py_INCREF(span);
                            Py_SETREF(t->span, span);
                            if (t->matched == t->length) t->first_key = 0;  /* placed: nothing more to read */
                            progressed = 1;
                        }
                        if (matches) { t->key_found = 1; Py_INCREF(span); Py_XSETREF(t->key_span, span); }
                    }
                    if (!fail && first && depth == 1) {
                        root_first_key = span ? span : span_tuple(event.start_mark, event.end_mark);
                        span = NULL;
                        if (!root_first_key) fail = 1;
                    }
                    Py_XDECREF(span);
                    Py_DECREF(key);
                }
            }
        } else if (type == YAML_SCALAR_EVENT || type == YAML_MAPPING_START_EVENT || type == YAML_SEQUENCE_START_EVENT) {
            /* a value: the root, a mapping's value or a list item */
            int is_map = type == YAML_MAPPING_START_EVENT, is_collection = type != YAML_SCALAR_EVENT;
            if (!f && !is_map) { bail = 1; yaml_event_delete(&event); break; }  /* not a mapping */
            int tracked = !f;  /* the root always is */
            for (Py_ssize_t i = 0; !f && i < count; i++) {  /* the root: the node of the empty path */
                if (wanted[i].length == 0) { Py_INCREF(str_map_node); Py_SETREF(wanted[i].node, str_map_node); }
            }
            Py_ssize_t index = 0;
            if (f && !f->is_map) index = f->index++;
            if (f && f->is_map) f->expect_key = 1;  /* after this value */
            PyObject *span = NULL;
            for (Py_ssize_t i = 0; f && f->tracked && i < count; i++) {
                SpanTarget *t = &wanted[i];
                if (t->done || t->matched != depth - 1) continue;
                int matches = 0;
                PyObject *step = t->matched < t->length ? PyTuple_GET_ITEM(t->path, t->matched) : NULL;
                if (f->is_map) {
                    matches = t->key_found;
                    t->key_found = 0;
                } else if (step && PyLong_Check(step)) {
                    Py_ssize_t wanted_index = PyLong_AsSsize_t(step);
                    if (wanted_index == -1 && PyErr_Occurred()) PyErr_Clear();
                    else matches = wanted_index == index;
                }
                t->first_key = 0;
                if (!matches) continue;
                /* findings.locate: a key's value points at the key when it is a mapping or a list
                 * (FieldKey always, FieldValue never); a list item at itself, a mapping item at its
                 * first key (set when that key is read) */
                PyObject *chosen;
                if (f->is_map) {
                    int at_key = Py_TYPE(step) == (PyTypeObject *)field_key
                        || (Py_TYPE(step) != (PyTypeObject *)field_value && is_collection);
                    chosen = at_key ? t->key_span : NULL;
                } else {
                    chosen = NULL;
                    t->first_key = is_map;
                }
                if (!chosen) {
                    if (!span && !(span = span_tuple(event.start_mark, event.end_mark))) { fail = 1; break; }
                    chosen = span;
                }
                Py_INCREF(chosen);
                Py_SETREF(t->span, chosen);
                Py_CLEAR(t->key_span);
                t->matched++;
                progressed = 1;
                if (t->matched == t->length) {
                    PyObject *node;
                    if (is_collection) { node = is_map ? str_map_node : str_list_node; Py_INCREF(node); }
                    else {
                        PyObject *written = PyUnicode_DecodeUTF8((const char *)event.data.scalar.value,
                                                                 event.data.scalar.length, "strict");
                        node = written ? PyTuple_Pack(2, written, style_string(event.data.scalar.style)) : NULL;
                        Py_XDECREF(written);
                    }
                    if (!node) { fail = 1; break; }
                    Py_SETREF(t->node, node);
                }
                if (is_collection) tracked = 1;
                else t->done = 1;  /* a scalar: the path breaks off here */
            }
            Py_XDECREF(span);
            if (!fail && is_collection) {
                if (depth >= max_depth) { bail = 1; yaml_event_delete(&event); break; }
                if (depth == frames_size) {
                    Py_ssize_t larger = frames_size * 2 < max_depth ? frames_size * 2 : max_depth;
                    SpanFrame *grown = PyMem_Realloc(frames, larger * sizeof(SpanFrame));
                    if (!grown) { PyErr_NoMemory(); fail = 1; yaml_event_delete(&event); break; }
                    frames = grown;
                    frames_size = larger;
                }
                SpanFrame *child = &frames[depth++];
                memset(child, 0, sizeof(SpanFrame));
                child->is_map = is_map;
                child->expect_key = is_map;
                child->tracked = tracked;
                if (tracked && is_map && !(child->keys = PySet_New(NULL))) fail = 1;
            }
        } else if (type == YAML_MAPPING_END_EVENT || type == YAML_SEQUENCE_END_EVENT) {
            for (Py_ssize_t i = 0; i < count; i++) {  /* targets inside it break off here */
                SpanTarget *t = &wanted[i];
                if (!t->done && t->matched == depth - 1) { t->done = 1; progressed = 1; }
            }
            Py_CLEAR(frames[depth - 1].keys);
            if (--depth == 0) done = 1;
        }
        yaml_event_delete(&event);
        if (stop_early && progressed && !done && !fail && !bail && root_first_key) {
            /* placed: broken off, or found whole (a list item that is a mapping: with its first key) */
            Py_ssize_t i = 0;
            while (i < count && (wanted[i].done || (wanted[i].matched == wanted[i].length && !wanted[i].first_key))) i++;
            done = i == count;
        }
    }
    for (; depth > 0; depth--) Py_CLEAR(frames[depth - 1].keys);  /* (Py_CLEAR reads its argument twice) */
    if (parser_ready) yaml_parser_delete(&parser);
    PyObject *result = NULL;
    if (!fail && !bail) {
        result = PyList_New(count);
        for (Py_ssize_t i = 0; result && i < count; i++) {
            SpanTarget *t = &wanted[i];
            PyObject *span = t->span != Py_None ? t->span : root_first_key;
            PyObject *item = span ? PyTuple_Pack(2, span, t->node) : Py_BuildValue("((iiii)O)", 1, 1, 1, 1, t->node);
            if (!item) { Py_CLEAR(result); break; }
            PyList_SET_ITEM(result, i, item);
        }
    } else if (!fail) {
        result = Py_None;
        Py_INCREF(result);
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_XDECREF(wanted[i].span); Py_XDECREF(wanted[i].node); Py_XDECREF(wanted[i].key_span);
    }
    Py_XDECREF(root_first_key);
    PyMem_Free(wanted);
    PyMem_Free(frames);
    return result;
}


/* ---- schema_walk: k8slint.model.apischema's walk over a document, in C ----------------------
 * A compiled schema node is a list (apischema.Node.packed):
 *   [kind, fields (dict name -> node) or None, required (tuple), extra (node or None),
 *    item (node or None), enum (tuple or None), fmt (0 none, 1 int32, 2 int64, 3 other), Node]
 * The walk decides only what is plainly fine (a string where a string belongs, an int32 that
 * fits...) and reports the rest as entries for Python, which decides them with the same code as the
 * pure-Python walk (apischema._value), so both give the same problems:
 *   (0, path, node, value, key)     unknown field ``key`` (path ends with it)
 *   (1, path, node, None, name)     required field ``name`` missing (3: present but null)
 *   (2, path, node, value, None)    a value Python must judge against ``node``
 */
enum { K_ANY, K_OBJECT, K_MAP, K_LIST, K_STRING, K_INTEGER, K_NUMBER, K_BOOLEAN, K_INT_OR_STRING, K_QUANTITY };
#define SCHEMA_MAX_DEPTH 256

typedef struct {
    PyObject *steps[SCHEMA_MAX_DEPTH];   /* keys, or NULL for a list index */
    Py_ssize_t indexes[SCHEMA_MAX_DEPTH];
    int depth;
    PyObject *found;
    PyObject *base;                      /* the path tuple the walk started at */
} SchemaWalk;

static PyObject *walk_path(SchemaWalk *w, PyObject *last) {
    Py_ssize_t n = PyTuple_GET_SIZE(w->base);
    PyObject *out = PyTuple_New(n + w->depth + (last ? 1 : 0));
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(w->base, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(out, i, item);
    }
    for (int i = 0; i < w->depth; i++) {
        PyObject *step = w->steps[i];
        if (step) Py_INCREF(step);
        else if (!(step = PyLong_FromSsize_t(w->indexes[i]))) { Py_DECREF(out); return NULL; }
        PyTuple_SET_ITEM(out, n + i, step);
    }
    if (last) { Py_INCREF(last); PyTuple_SET_ITEM(out, n + w->depth, last); }
    return out;
}

static int walk_report(SchemaWalk *w, long code, PyObject *node, PyObject *value, PyObject *field, PyObject *last) {
    PyObject *path = walk_path(w, last);
    if (!path) return -1;
    PyObject *entry = Py_BuildValue("(lNOOO)", code, path, node, value ? value : Py_None, field ? field : Py_None);
    if (!entry) return -1;
    int rc = PyList_Append(w->found, entry);
    Py_DECREF(entry);
    return rc;
}

/* resource.ParseQuantity's grammar: [+-] digits [. digits] | [+-] . digits, then nothing, a
 * binary suffix (Ki Mi Gi Ti Pi Ei), a decimal one (n u m k M G T P E) or an exponent (e|E [+-] digits). */
static int is_quantity(PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) { PyErr_Clear(); return 0; }
    Py_ssize_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    }
    if (!digits) return 0;
    if (i == n) return 1;
    if (n - i == 2 && s[i + 1] == 'i' && strchr("KMGTPE", s[i])) return 1;
    if (n - i == 1 && strchr("numkMGTPE", s[i])) return 1;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i == n) return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        return i == n;
    }
    return 0;
}

static int int_fits(PyObject *value, long fmt) {
    int overflow = 0;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (number == -1 && PyErr_Occurred()) { PyErr_Clear(); return 0; }
    if (overflow) return 0;
    if (fmt == 2) return 1;
    return number >= -2147483648LL && number <= 2147483647LL;
}

/* 1: plainly fine; 0: Python must judge it */
static int plainly_fine(PyObject *value, PyObject *node, long kind) {
    switch (kind) {
    case K_ANY: return 1;
    case K_STRING: {
        if (!PyUnicode_CheckExact(value)) return 0;
        PyObject *enumeration = PyList_GET_ITEM(node, 5);
        long fmt = PyLong_AsLong(PyList_GET_ITEM(node, 6));
        if (fmt != 0) return 0;
        if (enumeration == Py_None || PyUnicode_GET_LENGTH(value) == 0) return 1;  /* "" is defaulted */
        int has = PySequence_Contains(enumeration, value);
        if (has < 0) { PyErr_Clear(); return 0; }
        return has;
    }
    case K_INTEGER: return PyLong_CheckExact(value) && int_fits(value, PyLong_AsLong(PyList_GET_ITEM(node, 6)));
    case K_BOOLEAN: return PyBool_Check(value);
    case K_NUMBER: return PyLong_CheckExact(value) || (PyFloat_CheckExact(value) && isfinite(PyFloat_AS_DOUBLE(value)));
    case K_INT_OR_STRING: return PyUnicode_CheckExact(value) || (PyLong_CheckExact(value) && int_fits(value, 1));
    case K_QUANTITY:
        if (PyUnicode_CheckExact(value)) return is_quantity(value);
        return PyLong_CheckExact(value) || (PyFloat_CheckExact(value) && isfinite(PyFloat_AS_DOUBLE(value)));
    }
    return 0;
}

static int walk_value(SchemaWalk *w, PyObject *value, PyObject *node);

static int walk_object(SchemaWalk *w, PyObject *value, PyObject *node) {
    PyObject *fields = PyList_GET_ITEM(node, 1), *extra = PyList_GET_ITEM(node, 3);
    PyObject *key, *item;
    Py_ssize_t pos = 0;
    while (PyDict_Next(value, &pos, &key, &item)) {
        PyObject *child = fields != Py_None ? PyDict_GetItemWithError(fields, key) : NULL;
        if (!child) {
            if (PyErr_Occurred()) return -1;
            if (extra == Py_None) {
                if (walk_report(w, 0, node, item, key, key) < 0) return -1;
                continue;
            }
            child = extra;
        }
        if (item == Py_None) continue;
        w->steps[w->depth] = key;
        w->depth++;
        int rc = walk_value(w, item, child);
        w->depth--;
        if (rc < 0) return -1;
    }
    PyObject *required = PyList_GET_ITEM(node, 2);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(required); i++) {
        PyObject *name = PyTuple_GET_ITEM(required, i);
        PyObject *present = PyDict_GetItemWithError(value, name);
        if (!present && PyErr_Occurred()) return -1;
        if (!present || present == Py_None) {
            if (walk_report(w, present ? 3 : 1, node, NULL, name, NULL) < 0) return -1;
        }
    }
    return 0;
}

static int walk_value(SchemaWalk *w, PyObject *value, PyObject *node) {
    long kind = PyLong_AsLong(PyList_GET_ITEM(node, 0));
    if (value == Py_None || kind == K_ANY) return 0;
    if (w->depth >= SCHEMA_MAX_DEPTH - 1) return 0;  /* deeper than any object: the loader refuses such documents */
    if (kind == K_OBJECT) {
        if (PyDict_Check(value)) return walk_object(w, value, node);
        return walk_report(w, 2, node, value, NULL, NULL);
    }
    if (kind == K_LIST) {
        if (!PyList_Check(value)) return walk_report(w, 2, node, value, NULL, NULL);
        PyObject *child = PyList_GET_ITEM(node, 4);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
            PyObject *element = PyList_GET_ITEM(value, i);
            if (element == Py_None) continue;
            w->steps[w->depth] = NULL;
            w->indexes[w->depth] = i;
            w->depth++;
            int rc = walk_value(w, element, child);
            w->depth--;
            if (rc < 0) return -1;
        }
        return 0;
    }
    if (kind == K_MAP) {
        if (!PyDict_Check(value)) return walk_report(w, 2, node, value, NULL, NULL);
        PyObject *child = PyList_GET_ITEM(node, 4), *key, *item;
        Py_ssize_t pos = 0;
        while (PyDict_Next(value, &pos, &key, &item)) {
            if (item == Py_None) continue;
            w->steps[w->depth] = key;
            w->depth++;
            int rc = walk_value(w, item, child);
            w->depth--;
            if (rc < 0) return -1;
        }
        return 0;
    }
    if (plainly_fine(value, node, kind)) return 0;
    return walk_report(w, 2, node, value, NULL, NULL);
}

static PyObject *schema_walk(PyObject *module, PyObject *args) {
    PyObject *value, *node, *base, *found;
    if (!PyArg_ParseTuple(args, "OO!O!O!", &value, &PyList_Type, &node, &PyTuple_Type, &base, &PyList_Type, &found))
        return NULL;
    SchemaWalk w;
    w.depth = 0;
    w.found = found;
    w.base = base;
    if (walk_value(&w, value, node) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"shared_copy", shared_copy, METH_VARARGS,
     "shared_copy(value, drop, strings, containers, key_classes, make_key_class, annotations_only): "
     "engine._shared_copy in C."},
    {"path_spans", path_spans, METH_VARARGS,
     "path_spans(text, begin, targets, resolve_key, special, field_key, field_value, max_depth, stop_early=False): "
     "the positions findings.locate gives for a few paths of the first document of text[begin:], without composing "
     "it (None: compose it); stop_early: no key is written twice in it, stop reading once every path is placed."},
    {"schema_walk", schema_walk, METH_VARARGS,
     "schema_walk(value, packed_node, base_path, found): k8slint.model.apischema.check's walk in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_k8slint_yaml",
    "k8slint's optional YAML composer in C (see k8slint/loader.py).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__k8slint_yaml(void) {
    if (PyType_Ready(&StreamType) < 0) return NULL;
    str_marks = PyUnicode_InternFromString("marks");
    empty_args = PyTuple_New(0);
    if (!empty_args) return NULL;
    str_merge_key = PyUnicode_InternFromString("<<");
    str_k8slint_prefix = PyUnicode_InternFromString("k8slint.io/");
    str_any_item = PyUnicode_InternFromString("*");
    str_map_node = PyUnicode_InternFromString("m");
    str_list_node = PyUnicode_InternFromString("q");
    if (!str_k8slint_prefix || !str_any_item || !str_map_node || !str_list_node) return NULL;
    const char *styles[5] = {"", "'", "\"", "|", ">"};
    for (int i = 0; i < 5; i++) {
        style_strings[i] = PyUnicode_InternFromString(styles[i]);
        if (!style_strings[i]) return NULL;
    }
    if (!str_marks || !str_merge_key) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&StreamType);
    if (PyModule_AddObject(m, "Stream", (PyObject *)&StreamType) < 0
            || PyModule_AddIntConstant(m, "API_VERSION", API_VERSION) < 0
            || PyModule_AddStringConstant(m, "LIBYAML_VERSION", yaml_get_version_string()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
