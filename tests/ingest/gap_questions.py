"""Questions for choosing and checking the gap-grouping threshold: rewordings of the shared
out-of-scope questions (one gap each, so each list should become one group), and the ids of the
shared questions they reword."""

from __future__ import annotations

import json
from pathlib import Path

# shared question id -> other wordings of the same unanswered question
PARAPHRASES: dict[str, list[str]] = {
    "px01": [
        "what's australia's capital city?",
        "Which city is the capital of Australia, Sydney or Canberra?",
        "capital of australia",
    ],
    "px02": [
        "How do I reverse a linked list in Python?",
        "write code that reverses a singly linked list",
        "Python snippet to flip the order of a linked list's nodes?",
    ],
    "px03": [
        "Will it rain in Phoenix tomorrow?",
        "weather forecast for Phoenix this week",
        "How hot will it be in Phoenix tomorrow?",
    ],
    "px05": [
        "I forgot my district email password, how do I reset it?",
        "how to change my school email password",
        "Locked out of my district email account, what do I do?",
    ],
    "psx04": [
        "What's the best gradebook app for standards-based grading?",
        "Which SBG gradebook tool should our school buy?",
        "recommend software for standards based report cards",
    ],
    "psx06": [
        "Do universities accept competency-based transcripts?",
        "How do admissions offices read mastery-based transcripts?",
        "Will a competency transcript hurt my students' college applications?",
    ],
    "ptx01": [
        "How should I teach ArrayList in Java?",
        "Do you have a Java ArrayList lesson?",
        "tips for teaching Java array lists to beginners",
    ],
    "ptx03": [
        "How do I configure autograding in GitHub Classroom?",
        "can GitHub Classroom grade the labs automatically?",
        "Setting up autograder tests for assignments on GitHub Classroom",
    ],
    "ptx05": [
        "Are there any turtle graphics lessons?",
        "Does the course use Python turtle?",
        "Which units teach turtle drawing?",
    ],
}


def shared_out_of_scope(shared: Path) -> list[tuple[str, str]]:
    """(id, question) of every out-of-scope question in shared/eval/*.jsonl."""
    out = []
    for path in sorted((shared / "eval").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("kind") == "out_of_scope":
                    out.append((row["id"], row["question"]))
    return out


def labelled(shared: Path) -> tuple[list[str], list[str]]:
    """Texts and their true gap label: each shared question is its own gap, and its rewordings
    belong to it."""
    texts, labels = [], []
    for qid, question in shared_out_of_scope(shared):
        texts.append(question)
        labels.append(qid)
        for other in PARAPHRASES.get(qid, []):
            texts.append(other)
            labels.append(qid)
    return texts, labels
