// The pipeline board's drag and drop and keyboard moves, on top of each card's form.
//
// Without this script every card has a form (stage, loss reason, "Move") that works alone. With
// it, a card is dragged to a column, or focused, picked up with Enter or Space, carried with the
// arrow keys and dropped with Enter (Escape cancels); a move to a lost stage asks the reason in a
// dialog. Either way the card's own form is submitted: one write path, the CSRF token included.
// Served from the site (the CSP allows no inline script); the texts come translated from the page.
"use strict";

(function () {
  const board = document.querySelector("[data-move-board]");
  const dialog = document.getElementById("crm-loss-dialog");
  if (!board || !dialog) {
    return;
  }
  const status = document.getElementById("crm-board-status");
  const columns = Array.from(board.querySelectorAll(".crm-board-column"));
  const rtl = document.documentElement.dir === "rtl";
  const FOCUS_KEY = "crm-board-focus";
  let carried = null; // {card, target} while a card is carried by the keyboard
  let pendingCard = null; // the card waiting for its loss reason

  board.classList.add("crm-board-enhanced");
  document.getElementById("crm-board-help").hidden = false;

  function say(template, values) {
    let text = board.dataset[template] || "";
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(value);
    }
    status.textContent = text;
  }

  function cardName(card) {
    return card.querySelector(".crm-board-name").textContent.trim();
  }

  function stageName(column) {
    return column.querySelector("h2").firstChild.textContent.trim();
  }

  function columnOf(card) {
    return card.closest(".crm-board-column");
  }

  function submit(card) {
    const form = card.querySelector("form.crm-board-move");
    const column = columns.find((each) => each.dataset.stage === form.elements.stage.value);
    say("moving", {card: cardName(card), stage: column ? stageName(column) : ""});
    sessionStorage.setItem(FOCUS_KEY, card.id);
    form.submit();
  }

  function move(card, column) {
    if (!column || column === columnOf(card)) {
      return;
    }
    const form = card.querySelector("form.crm-board-move");
    form.elements.stage.value = column.dataset.stage;
    if ("lost" in column.dataset) {
      askReason(card);
    } else {
      form.elements.loss_reason.value = "";
      submit(card);
    }
  }

  function askReason(card) {
    pendingCard = card;
    dialog.querySelector(".crm-loss-card").textContent = cardName(card);
    dialog.showModal();
  }

  dialog.querySelectorAll(".crm-loss-reasons button").forEach((button) => {
    button.addEventListener("click", () => {
      const card = pendingCard;
      pendingCard = null;
      dialog.close();
      card.querySelector("form.crm-board-move").elements.loss_reason.value = button.value;
      submit(card);
    });
  });

  dialog.querySelector(".crm-loss-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (pendingCard) {
      const card = pendingCard;
      pendingCard = null;
      const form = card.querySelector("form.crm-board-move");
      form.reset();
      say("cancelled");
      card.focus();
    }
  });

  // The form's own controls: a lost stage without a reason asks for it instead of being refused.
  board.querySelectorAll("form.crm-board-move").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const option = form.elements.stage.selectedOptions[0];
      if (option && "lost" in option.dataset && !form.elements.loss_reason.value) {
        event.preventDefault();
        askReason(form.closest(".crm-board-card"));
      }
    });
  });

  // Drag and drop.
  board.querySelectorAll(".crm-board-card").forEach((card) => {
    card.draggable = true;
    card.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", card.id);
      event.dataTransfer.effectAllowed = "move";
      card.classList.add("crm-board-dragged");
    });
    card.addEventListener("dragend", () => card.classList.remove("crm-board-dragged"));
  });
  columns.forEach((column) => {
    column.addEventListener("dragover", (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("crm-board-target");
    });
    column.addEventListener("dragleave", (event) => {
      if (!column.contains(event.relatedTarget)) {
        column.classList.remove("crm-board-target");
      }
    });
    column.addEventListener("drop", (event) => {
      event.preventDefault();
      column.classList.remove("crm-board-target");
      const card = document.getElementById(event.dataTransfer.getData("text/plain"));
      if (card && board.contains(card)) {
        move(card, column);
      }
    });
  });

  // The keyboard: Enter or Space picks up the focused card, the arrows carry it, Enter drops it.
  function target(column) {
    columns.forEach((each) => each.classList.toggle("crm-board-target", each === column));
    carried.target = column;
  }

  function putDown() {
    carried.card.classList.remove("crm-board-carried");
    columns.forEach((each) => each.classList.remove("crm-board-target"));
    carried = null;
  }

  board.addEventListener("keydown", (event) => {
    const card = event.target;
    if (!card.classList || !card.classList.contains("crm-board-card")) {
      return;
    }
    if (!carried && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      carried = {card: card, target: columnOf(card)};
      card.classList.add("crm-board-carried");
      target(columnOf(card));
      say("picked", {card: cardName(card), stage: stageName(columnOf(card))});
    } else if (carried && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      event.preventDefault();
      const forward = (event.key === "ArrowRight") !== rtl;
      const index = columns.indexOf(carried.target) + (forward ? 1 : -1);
      if (index >= 0 && index < columns.length) {
        target(columns[index]);
        say("over", {stage: stageName(columns[index])});
      }
    } else if (carried && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      const column = carried.target;
      putDown();
      move(card, column);
    } else if (carried && event.key === "Escape") {
      event.preventDefault();
      putDown();
      say("cancelled");
    }
  });
  board.addEventListener("focusout", (event) => {
    if (carried && event.target === carried.card) {
      putDown();
    }
  });

  // Back from a move: the moved card has the focus again, and the message is read out.
  const focused = document.getElementById(sessionStorage.getItem(FOCUS_KEY) || "");
  sessionStorage.removeItem(FOCUS_KEY);
  if (focused) {
    focused.focus();
  }
  const message = document.querySelector(".messagelist li");
  if (message) {
    setTimeout(() => {
      status.textContent = message.textContent.trim();
    }, 500);
  }
})();
