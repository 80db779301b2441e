"""Numbers: the organization's stock (list-numbers-stock-items.json), buying long-code numbers
(buy-long-code-numbers.json) and the workspace's numbers."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox import stock
from sandbox.errors import invalid
from sandbox.routing import BirdRoute, page, page_after, read_body, read_query, sandbox_of
from sandbox.validation import FieldError
from sandbox.wire import iso, new_id

router = APIRouter(route_class=BirdRoute)


@router.get("/organizations/{organizationId}/numbers-stock-items", name="list_stock_items")
async def list_stock_items(request: Request, organizationId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_organization(organizationId)
    query = read_query(request, "list_stock_items")
    if "prefix" in query and not query.get("countryCodes"):
        # bird/openapi/list-numbers-stock-items.json: "Must be used together with the countryCodes filter."
        raise invalid([FieldError("prefix", "must be used together with countryCodes")], "query")
    if "prefix" in query and not stock.PREFIX.fullmatch(query["prefix"]):
        # bird-docs: "bare area code digits (e.g. `205`) or a full E.164 prefix (e.g. `+1205`)"
        raise invalid([FieldError("prefix", "must be digits, optionally after a '+' (got {!r})".format(query["prefix"]))], "query")
    items = [item for item in sandbox.state.stock.values() if stock.matches(item, query)]
    # In number order, paged by the last number seen rather than a position: while a fleet buys
    # from the same stock, a page never skips an item because an earlier one was sold.
    items.sort(key=lambda item: item["numberString"])
    return JSONResponse(page_after(items, query, "numberString"))


@router.post("/workspaces/{workspaceId}/numbers-long-code", name="buy_numbers")
async def buy_numbers(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    body = await read_body(request, "buy_numbers")
    wanted = body["numberStockItemIds"]
    sold = [item_id for item_id in wanted if item_id in sandbox.state.sold]
    unknown = [item_id for item_id in wanted if item_id not in sandbox.state.stock and item_id not in sold]
    # All or nothing: a purchase that cannot be completed bills nothing. An item someone else
    # bought between the list and the buy is Bird's 422 (buy-long-code-numbers.json: "Validation
    # error"): the buyer lists the stock again and picks another.
    errors = []
    if sold:
        who = "; ".join(f"{item_id} (to {sandbox.state.sold[item_id]})" for item_id in sold)
        errors.append(FieldError("numberStockItemIds", f"sold, no longer in stock: {who}"))
    if unknown:
        errors.append(FieldError("numberStockItemIds", f"not a stock item of this organization: {', '.join(unknown)}"))
    if len(set(wanted)) != len(wanted):
        errors.append(FieldError("numberStockItemIds", "lists an item twice"))
    if errors:
        raise invalid(errors)
    now = iso()
    bought = []
    for item_id in wanted:
        item = sandbox.state.stock.pop(item_id)
        sandbox.state.sold[item_id] = f"workspace {workspaceId}"
        number = stock.workspace_number(item, new_id(), now)
        sandbox.state.numbers[number["id"]] = number
        price = item["monthlyPrice"]
        amount = Decimal(price["amount"]).scaleb(price["exponent"])
        sandbox.charge("number", number["id"], amount, f"{item['numberString']}: first month", "buy_numbers")
        bought.append(number)
    return JSONResponse({"results": bought}, status_code=201)


@router.get("/workspaces/{workspaceId}/numbers-long-code", name="list_numbers")
async def list_numbers(request: Request, workspaceId: str) -> JSONResponse:
    sandbox = sandbox_of(request)
    sandbox.check_workspace(workspaceId)
    query = read_query(request, "list_numbers")
    return JSONResponse(page(list(sandbox.state.numbers.values()), query))
