/* The reading view of a source (admin/events/source/read.html).
 *
 * The article's element holds the source's text exactly (the server renders nothing else into it), so a selection
 * in it is a substring of the source. Positions are measured with DOM Ranges over its text nodes, never with
 * innerText (which rewrites whitespace), and checked against the source's text sent as JSON: if the two ever
 * differ, the page offers no citing at all rather than a wrong excerpt.
 *
 * JavaScript strings count UTF-16 code units; the server counts code points (Python string indices). Offsets go
 * to the server, and come from the proposals API, in code points.
 *
 * Nothing is written without the editor's confirmation: a new record opens the admin's add form, prefilled, which
 * the editor completes and saves; a citation on an existing record is posted to the API's citation endpoint after
 * the editor confirms it. Both go through the services.
 */
(function () {
    "use strict";

    const dataElement = document.getElementById("reading-data");
    const article = document.getElementById("article");
    if (!dataElement || !article) {
        return;
    }
    const data = JSON.parse(dataElement.textContent);
    const text = JSON.parse(document.getElementById("reading-text").textContent);
    const csrfToken = document.querySelector("#reading-csrf input[name=csrfmiddlewaretoken]").value;
    const $ = (id) => document.getElementById(id);
    const panel = $("passage");
    const FLASH = "tracker-reading-flash";
    let passage = null; // {start, end} in UTF-16 units of `text`
    let pendingCitation = null; // {url, body, label}

    // Code points <-> UTF-16 units -------------------------------------------------------------------------
    function codePoints(units) {
        let count = 0;
        for (let i = 0; i < units; i += 1) {
            const c = text.charCodeAt(i);
            if (c < 0xdc00 || c > 0xdfff) {
                count += 1; // a low surrogate completes the pair its high surrogate already counted
            }
        }
        return count;
    }

    function units(points) {
        let u = 0;
        for (let n = 0; n < points; n += 1) {
            if (u >= text.length) {
                return -1;
            }
            u += text.codePointAt(u) > 0xffff ? 2 : 1;
        }
        return u;
    }

    function isLowSurrogate(at) {
        const c = text.charCodeAt(at);
        return c >= 0xdc00 && c <= 0xdfff;
    }

    // Selection <-> offsets in the text ---------------------------------------------------------------------
    function offsetOf(node, offset) {
        const range = document.createRange();
        range.setStart(article, 0);
        range.setEnd(node, offset);
        return range.toString().length;
    }

    function selectedSpan() {
        const selection = window.getSelection();
        if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
            return null;
        }
        const range = selection.getRangeAt(0);
        if (!range.intersectsNode(article)) {
            return null;
        }
        const whole = document.createRange();
        whole.selectNodeContents(article);
        let start = range.compareBoundaryPoints(Range.START_TO_START, whole) <= 0
            ? 0 : offsetOf(range.startContainer, range.startOffset);
        let end = range.compareBoundaryPoints(Range.END_TO_END, whole) >= 0
            ? text.length : offsetOf(range.endContainer, range.endOffset);
        // A drag usually takes a space or a line break at either end; the excerpt is the words.
        while (start < end && /\s/.test(text[start])) {
            start += 1;
        }
        while (end > start && /\s/.test(text[end - 1])) {
            end -= 1;
        }
        if (start > 0 && isLowSurrogate(start)) {
            start -= 1;
        }
        if (end < text.length && isLowSurrogate(end)) {
            end += 1;
        }
        return start < end ? {start: start, end: end} : null;
    }

    function pointAt(offset, preferNext) {
        const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
        let seen = 0;
        let node = walker.nextNode();
        while (node) {
            const length = node.data.length;
            if (offset < seen + length || (offset === seen + length && !preferNext)) {
                return {node: node, offset: offset - seen};
            }
            seen += length;
            node = walker.nextNode();
        }
        return {node: article, offset: article.childNodes.length};
    }

    function selectSpan(start, end) {
        const from = pointAt(start, true);
        const to = pointAt(end, false);
        const range = document.createRange();
        range.setStart(from.node, from.offset);
        range.setEnd(to.node, to.offset);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        const element = from.node.nodeType === Node.TEXT_NODE ? from.node.parentElement : from.node;
        element.scrollIntoView({block: "center"});
    }

    // The passage panel ------------------------------------------------------------------------------------
    function status(message, isError) {
        const line = $("passage-status");
        line.textContent = message;
        line.classList.toggle("error", Boolean(isError));
    }

    function passageQuery(span) {
        return new URLSearchParams({
            cite_source: String(data.source.id),
            cite_start: String(codePoints(span.start)),
            cite_end: String(codePoints(span.end)),
        });
    }

    function mentionedIn(span) {
        const from = codePoints(span.start);
        const to = codePoints(span.end);
        const seen = new Map();
        data.mentions.forEach(function (mention) {
            if (mention.start >= from && mention.end <= to) {
                seen.set(mention.actor, mention.name);
            }
        });
        return seen;
    }

    function show(span, proposal) {
        passage = span;
        pendingCitation = null;
        const excerpt = text.slice(span.start, span.end);
        const length = codePoints(span.end) - codePoints(span.start);
        panel.hidden = false;
        $("passage-text").textContent = excerpt;
        $("passage-confirm").hidden = true;
        $("passage-results").replaceChildren();
        status("");
        const tooLong = length > data.excerpt_max_length;
        $("passage-where").textContent = tooLong
            ? "Too long for one excerpt: " + length + " characters, at most " + data.excerpt_max_length + "."
            : "Characters " + codePoints(span.start) + " to " + codePoints(span.end) + " of the text, " +
                length + " long.";
        $("passage-actions").hidden = tooLong;
        document.querySelectorAll("a[data-new]").forEach(function (link) {
            const base = data.resources[link.dataset.new].add_url;
            link.href = base + "?" + passageQuery(span).toString();
        });
        const mentioned = mentionedIn(span);
        $("passage-mentions-label").hidden = mentioned.size === 0;
        $("passage-mentions").textContent = Array.from(mentioned.values()).join(", ");
        $("passage-mentions-label").dataset.actors = Array.from(mentioned.keys()).join(",");
        showProposal(proposal, span);
        if (mentioned.size > 0 && !tooLong) {
            search();
        }
    }

    function showProposal(proposal, span) {
        const box = $("passage-proposal");
        box.hidden = !proposal;
        if (!proposal) {
            return;
        }
        $("proposal-rule").textContent = proposal.rule || "";
        $("proposal-reason").textContent = proposal.reason || "";
        const open = $("proposal-open");
        const cite = $("proposal-cite");
        open.hidden = true;
        cite.hidden = true;
        const target = proposal.cite_on;
        if (target) {
            const kind = kindOf(target.resource, target.url);
            if (kind === null || !target.slug || !data.resources[kind].can_cite) {
                return;
            }
            const what = data.resources[kind].name + " “" + target.slug + "”";
            cite.hidden = false;
            cite.textContent = "Cite on " + what + "…";
            // A headline cited on the pledge its body proposes: that record is written first, from its own proposal.
            if (Array.isArray(proposal.requires) && proposal.requires.length) {
                cite.textContent += " (after accepting " + proposal.requires.join(", ") + ")";
            }
            cite.onclick = function () {
                // The endpoint is built here, not taken from the answer: the session's CSRF token goes nowhere else.
                confirmCitation(citationsUrl(kind, target.slug), citationBody(span), what);
            };
            return;
        }
        const kind = kindOf(null, proposal.url);
        if (kind === null || !data.resources[kind].add_url) {
            return;
        }
        const query = bodyQuery(proposal.body || {});
        passageQuery(span).forEach(function (value, key) {
            query.set(key, value);
        });
        open.href = data.resources[kind].add_url + "?" + query.toString();
        open.textContent = "Open the prefilled " + data.resources[kind].name + " form";
        open.hidden = false;
    }

    // A proposal's body as the add form's GET parameters: references by slug (the form finds the records), lists
    // comma-separated. Citations come from the passage; nested rows (participants) are entered on the form.
    function bodyQuery(body) {
        const query = new URLSearchParams();
        Object.keys(body).forEach(function (key) {
            const value = body[key];
            if (key === "citations" || value === null || value === undefined) {
                return;
            }
            if (Array.isArray(value)) {
                if (value.every((v) => typeof v === "string" || typeof v === "number")) {
                    query.set(key, value.join(","));
                }
            } else if (typeof value !== "object") {
                query.set(key, String(value));
            }
        });
        return query;
    }

    function kindOf(resource, url) {
        const path = url ? new URL(url, window.location.href).pathname : null;
        const kinds = Object.keys(data.resources);
        for (let i = 0; i < kinds.length; i += 1) {
            const r = data.resources[kinds[i]];
            if (resource === kinds[i] || resource === r.plural || (path && path.startsWith(r.api_list))) {
                return kinds[i];
            }
        }
        return null;
    }

    function citationsUrl(kind, slug) {
        return data.resources[kind].api_list + encodeURIComponent(slug) + "/citations/";
    }

    function citationBody(span) {
        return {source: data.source.slug, excerpt: text.slice(span.start, span.end)};
    }

    // Existing records: the API's lists, by search words and by the actors the passage mentions ------------------
    function label(kind, record) {
        if (kind === "statement") {
            return (record.speaker ? record.speaker.name + ": " : "") + (record.text || record.slug);
        }
        return record.title || record.slug;
    }

    function citesPassage(record, excerpt) {
        return (record.citations || []).some((c) => c.source === data.source.slug && c.excerpt === excerpt);
    }

    function search(event) {
        if (event) {
            event.preventDefault();
        }
        if (!passage) {
            return;
        }
        const form = $("passage-search");
        const words = form.elements.search.value.trim();
        const only = form.elements.resource.value;
        const actors = !$("passage-mentions-label").hidden && form.elements.mentioned.checked
            ? $("passage-mentions-label").dataset.actors : "";
        if (!words && !actors) {
            status("Type words to search for, or select a passage that names an actor.");
            return;
        }
        const excerpt = text.slice(passage.start, passage.end);
        const list = $("passage-results");
        list.replaceChildren();
        status("Searching…");
        const kinds = Object.keys(data.resources).filter((k) => !only || k === only);
        Promise.all(kinds.map(function (kind) {
            const query = new URLSearchParams({page_size: "10"});
            if (words) {
                query.set("search", words);
            }
            if (actors) {
                query.set("actor", actors);
            }
            return fetch(data.resources[kind].api_list + "?" + query.toString(), {
                headers: {Accept: "application/json"},
                credentials: "same-origin",
            }).then(function (response) {
                return response.json().then(function (body) {
                    if (!response.ok) {
                        throw new Error(problemText(body, response.status));
                    }
                    return body.results.map((record) => ({kind: kind, record: record}));
                });
            });
        })).then(function (groups) {
            const found = groups.flat();
            status(found.length ? "" : "No record found.");
            found.forEach(function (item) {
                const resource = data.resources[item.kind];
                const li = document.createElement("li");
                li.textContent = resource.name + " “" + item.record.slug + "”: " + label(item.kind, item.record);
                if (citesPassage(item.record, excerpt)) {
                    li.append(" (already cites this passage)");
                } else if (resource.can_cite) {
                    const button = document.createElement("button");
                    button.type = "button";
                    button.textContent = "Cite here…";
                    button.dataset.slug = item.record.slug;
                    button.addEventListener("click", function () {
                        confirmCitation(
                            citationsUrl(item.kind, item.record.slug),
                            citationBody(passage),
                            resource.name + " “" + item.record.slug + "”"
                        );
                    });
                    li.append(button);
                }
                list.append(li);
            });
        }).catch(function (error) {
            status(error.message, true);
        });
    }

    function problemText(body, code) {
        const parts = [body && body.detail ? body.detail : "The server answered " + code + "."];
        const errors = (body && body.errors) || {};
        Object.keys(errors).forEach(function (name) {
            [].concat(errors[name]).forEach((message) => parts.push(name + ": " + message));
        });
        return parts.join(" ");
    }

    function confirmCitation(url, body, what) {
        pendingCitation = {url: url, body: body, label: what};
        $("confirm-label").textContent = what;
        $("passage-confirm").hidden = false;
        $("confirm-yes").focus();
    }

    function postCitation() {
        if (!pendingCitation) {
            return;
        }
        const job = pendingCitation;
        $("confirm-yes").disabled = true;
        status("Adding the citation…");
        fetch(job.url, {
            method: "POST",
            credentials: "same-origin",
            headers: {
                Accept: "application/json",
                "Content-Type": "application/json",
                "X-CSRFToken": csrfToken,
            },
            body: JSON.stringify(job.body),
        }).then(function (response) {
            return response.json().catch(() => ({})).then(function (answer) {
                if (!response.ok) {
                    throw new Error(problemText(answer, response.status));
                }
                // Reloaded, the page highlights the new citation; the note says what happened.
                window.sessionStorage.setItem(FLASH, "Cited on " + job.label + ".");
                window.location.reload();
            });
        }).catch(function (error) {
            $("confirm-yes").disabled = false;
            status(error.message, true);
        });
    }

    // Proposals, where the API has them (GET …/proposals/; a 404 means no proposals panel) --------------------------
    // Every page of proposals, following each page's `next` (a long article has more than one page of them).
    const MAX_PROPOSAL_PAGES = 50;
    function proposalsFrom(url, collected, pages) {
        return fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
            .then(function (response) {
                if (response.status === 404 && pages === 0) {
                    return null;
                }
                return response.json().then(function (body) {
                    if (!response.ok) {
                        throw new Error(problemText(body, response.status));
                    }
                    const found = collected.concat(Array.isArray(body) ? body : (body.results || body.proposals || []));
                    if (body.next && pages + 1 < MAX_PROPOSAL_PAGES) {
                        return proposalsFrom(body.next, found, pages + 1);
                    }
                    return found;
                });
            });
    }

    function loadProposals() {
        proposalsFrom(data.proposals_url, [], 0)
            .then(function (proposals) {
                if (proposals !== null) {
                    showProposals(proposals);
                }
            })
            .catch(function (error) {
                $("proposals").hidden = false;
                $("proposals-status").textContent = "Proposals could not be loaded: " + error.message;
            });
    }

    function showProposals(proposals) {
        const list = $("proposal-list");
        $("proposals").hidden = false;
        $("proposals-status").textContent = proposals.length
            ? proposals.length + " proposed by reading the text; each opens its form or citation for you to check."
            : "Nothing proposed for this text.";
        proposals.forEach(function (proposal) {
            const li = document.createElement("li");
            const start = units(proposal.start);
            const end = units(proposal.end);
            const usable = start >= 0 && end > start && text.slice(start, end) === proposal.excerpt;
            const button = document.createElement("button");
            button.type = "button";
            button.className = "proposal";
            button.textContent = (proposal.rule || "proposal") + ": “" + proposal.excerpt + "”";
            button.title = proposal.reason || "";
            button.disabled = !usable;
            button.addEventListener("click", function () {
                selectSpan(start, end);
                show({start: start, end: end}, proposal);
            });
            li.append(button);
            if (!usable) {
                li.append(" (its span does not match the text)");
            }
            list.append(li);
        });
    }

    // Wiring -----------------------------------------------------------------------------------------------
    if (article.textContent !== text) {
        panel.hidden = false;
        $("passage-actions").hidden = true;
        status("This page's text differs from the source's, so passages cannot be cited from it.", true);
        return;
    }
    let pending = null;
    document.addEventListener("selectionchange", function () {
        window.clearTimeout(pending);
        pending = window.setTimeout(function () {
            const span = selectedSpan();
            // A click elsewhere (the search box) keeps the passage chosen last.
            if (span && (!passage || span.start !== passage.start || span.end !== passage.end)) {
                show(span, null);
            }
        }, 150);
    });
    // A highlight is a link to its record's page, except when a click ends a selection.
    function follow(event, mark) {
        if (event.ctrlKey || event.metaKey || event.shiftKey) {
            window.open(mark.dataset.href, "_blank", "noopener");
        } else {
            window.location.assign(mark.dataset.href);
        }
    }
    article.addEventListener("click", function (event) {
        const mark = event.target.closest("mark.cite");
        if (mark && window.getSelection().isCollapsed) {
            follow(event, mark);
        }
    });
    article.addEventListener("keydown", function (event) {
        const mark = event.target.closest("mark.cite");
        if (mark && event.key === "Enter") {
            follow(event, mark);
        }
    });
    $("passage-search").addEventListener("submit", search);
    $("confirm-yes").addEventListener("click", postCitation);
    $("confirm-no").addEventListener("click", function () {
        pendingCitation = null;
        $("passage-confirm").hidden = true;
    });
    const flash = window.sessionStorage.getItem(FLASH);
    if (flash) {
        window.sessionStorage.removeItem(FLASH);
        $("reading-flash").textContent = flash;
        $("reading-flash").hidden = false;
    }
    loadProposals();
}());
