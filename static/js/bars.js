// Bar widths come as data-width, set here: the Content-Security-Policy forbids style attributes.
document.querySelectorAll("[data-width]").forEach((el) => { el.style.width = el.dataset.width; });
